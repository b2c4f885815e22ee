namespace AspireChat.Bench.Processes;

/// <summary>Where the solution's projects were built, next to this tool's own output (same configuration).</summary>
internal static class BuildOutput
{
    /// <summary>The repository root: the folder holding AspireChat.sln above this tool's output.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The built <c>{projectFolder}/bin/{Configuration}/{tfm}/{name}.dll</c> of a project.</summary>
    public static string Assembly(string projectFolder)
    {
        // AppContext.BaseDirectory is .../{project}/bin/{Configuration}/{tfm}/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var name = Path.GetFileName(projectFolder);
        var path = Path.Combine(RepositoryRoot, projectFolder, "bin", output.Parent!.Name, output.Name, name + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{name} is not built at {path}; build bench/AspireChat.Bench, whose project references build it.");
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AspireChat.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No AspireChat.sln above {AppContext.BaseDirectory}.");
    }
}
