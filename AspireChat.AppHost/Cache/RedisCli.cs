using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace AspireChat.AppHost.Cache;

/// <summary><c>redis-cli</c> against a local node, for what the AppHost does to its local cluster: form it and ask whether it serves.</summary>
internal sealed class RedisCli(string command, string password)
{
    /// <summary>Runs <c>redis-cli</c> with <paramref name="arguments"/>; its output, or why it failed.</summary>
    public async Task<string> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The password through the environment (redis-cli reads REDISCLI_AUTH), not on a command line ps shows.
        startInfo.Environment["REDISCLI_AUTH"] = password;
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(startInfo)!;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var text = await output;
            // redis-cli exits with 0 after an error reply too, which it prints as "ERR ..." when not on a terminal.
            return process.ExitCode == 0 && !text.StartsWith("ERR", StringComparison.Ordinal) && !text.StartsWith("NOAUTH", StringComparison.Ordinal)
                ? text
                : throw new InvalidOperationException($"'{command} {string.Join(' ', arguments)}' failed ({process.ExitCode}): {text.Trim()} {(await errors).Trim()}");
        }
        catch (Win32Exception)
        {
            throw new InvalidOperationException($"'{command}' is not installed (apt-get install redis-server brings it).");
        }
    }

    /// <summary><c>CLUSTER INFO</c> of the node on <paramref name="port"/>, as fields.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ClusterInfoAsync(int port, CancellationToken cancellationToken) =>
        (await RunAsync(["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "CLUSTER", "INFO"], cancellationToken))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(':', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
}
