using System.Diagnostics;

namespace AspireChat.Tests.Scripts;

/// <summary>
/// <c>./test.sh</c>, README's test command. Where it cannot install what the tests need (no apt-get, or neither root
/// nor sudo), it prints the exact install line and stops before running anything.
/// </summary>
public sealed class TestScriptTests
{
    [Fact]
    public async Task WhereItCannotInstallTheMissingPackagesItPrintsTheExactInstallLineAndRunsNothing()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // A PATH where nothing is found: no redis-server, redis-cli, node or npm, and neither sudo nor apt-get.
        var emptyPath = Directory.CreateTempSubdirectory("aspirechat-empty-path-");
        try
        {
            var startInfo = new ProcessStartInfo("/bin/bash", [Path.Combine(RepositoryRoot(), "test.sh"), "--filter", "Nothing"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            startInfo.Environment.Clear();
            startInfo.Environment["PATH"] = emptyPath.FullName;
            using var script = Process.Start(startInfo)!;
            var output = script.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = script.StandardError.ReadToEndAsync(cancellationToken);
            await script.WaitForExitAsync(cancellationToken);

            // Chromium is looked for where the browser tests launch it, whatever the PATH.
            var packages = File.Exists("/usr/bin/chromium") ? "redis-server redis-tools nodejs npm" : "redis-server redis-tools chromium nodejs npm";
            Assert.Equal(1, script.ExitCode);
            Assert.Equal("", await output);
            Assert.Contains($"The tests need {packages};", await errors, StringComparison.Ordinal);
            Assert.Contains($"{Environment.NewLine}  sudo apt-get update && sudo apt-get install -y --no-install-recommends {packages}{Environment.NewLine}", await errors, StringComparison.Ordinal);
        }
        finally
        {
            emptyPath.Delete();
        }
    }

    /// <summary>The repository's root: this assembly is in AspireChat.Tests/bin/{Configuration}/{tfm}/.</summary>
    private static string RepositoryRoot() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Parent!.Parent!.Parent!.FullName;
}
