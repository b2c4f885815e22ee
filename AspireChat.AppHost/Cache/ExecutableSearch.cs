namespace AspireChat.AppHost.Cache;

/// <summary>Whether a command can be run: a path that exists, or a name found on PATH, where DCP looks for it.</summary>
internal static class ExecutableSearch
{
    public static bool Exists(string command) =>
        command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? File.Exists(command)
            : (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Any(directory => File.Exists(Path.Combine(directory, command)));
}
