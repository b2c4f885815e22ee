namespace AspireChat.AppHost.Cache;

/// <summary>Whether a command is on PATH, where DCP will look for it.</summary>
internal static class ExecutableSearch
{
    public static bool IsOnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, command)));
}
