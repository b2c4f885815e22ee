using AspireChat.Tests.Fixtures.Otlp;

namespace AspireChat.Tests.Contract;

/// <summary>
/// Writes docs/trace-waterfall.svg from a trace a contract test received, only when
/// ASPIRECHAT_WRITE_DOCS=1, so an ordinary test run never changes the working tree.
/// </summary>
public static class TraceDocs
{
    public static void WriteIfAsked(IReadOnlyList<ReceivedSpan> trace, string title)
    {
        if (Environment.GetEnvironmentVariable("ASPIRECHAT_WRITE_DOCS") != "1")
        {
            return;
        }

        var docs = Path.Combine(RepositoryRoot(), "docs");
        File.WriteAllText(Path.Combine(docs, "trace-waterfall.svg"), TraceWaterfall.Render(trace, title));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AspireChat.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("AspireChat.sln not found above the test output.");
    }
}
