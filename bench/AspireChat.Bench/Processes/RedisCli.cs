using System.Diagnostics;

namespace AspireChat.Bench.Processes;

/// <summary>redis-cli run to its end: what a local Redis Cluster (the benchmark's, the tests' fixture) is formed and watched with.</summary>
internal static class RedisCli
{
    public const string Executable = "/usr/bin/redis-cli";

    /// <summary>
    /// redis-cli's output for <paramref name="arguments"/>; a <paramref name="password"/> goes through the environment
    /// (redis-cli reads <c>REDISCLI_AUTH</c>), not on a command line <c>ps</c> shows. Throws with the output when it failed.
    /// </summary>
    public static async Task<string> RunAsync(IEnumerable<string> arguments, string? password, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (password is not null)
        {
            startInfo.Environment["REDISCLI_AUTH"] = password;
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = await output;
        // redis-cli exits with 0 after an error reply too, which it prints as "ERR ..." (or "NOAUTH ...") when not on a terminal.
        return process.ExitCode == 0 && !text.StartsWith("ERR", StringComparison.Ordinal) && !text.StartsWith("NOAUTH", StringComparison.Ordinal)
            ? text
            : throw new InvalidOperationException($"redis-cli {string.Join(' ', startInfo.ArgumentList)} failed ({process.ExitCode}): {text}{await errors}");
    }
}
