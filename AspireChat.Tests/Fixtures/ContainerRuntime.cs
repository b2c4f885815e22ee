using System.ComponentModel;
using System.Diagnostics;

namespace AspireChat.Tests.Fixtures;

/// <summary>
/// Whether the container runtime Aspire will use (ASPIRE_CONTAINER_RUNTIME, else docker) answers.
/// Without one the Redis container cannot start and the app never becomes healthy, so the Aspire
/// tests skip with this reason instead of waiting for their timeout.
/// </summary>
public static class ContainerRuntime
{
    private static readonly Lazy<Task<string?>> Unavailable = new(() =>
        ProbeAsync(Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } configured ? configured : "docker"));

    /// <summary>Null when the runtime answers; otherwise why the Aspire tests cannot run here.</summary>
    public static Task<string?> WhyUnavailableAsync() => Unavailable.Value;

    /// <summary>Asks <paramref name="runtime"/> (docker, podman) for its <c>info</c>: null when it answers, else why not.</summary>
    public static async Task<string?> ProbeAsync(string runtime)
    {
        var startInfo = new ProcessStartInfo(runtime, ["info"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(startInfo)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            // Both streams are drained so a long 'info' cannot fill a pipe and stall the runtime.
            _ = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var errors = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode == 0
                ? null
                : $"The container runtime '{runtime}' does not answer ('{runtime} info' exited with {process.ExitCode}: {(await errors).Trim()}). The Aspire tests need it to run the Redis container.";
        }
        catch (Win32Exception)
        {
            return $"No container runtime: '{runtime}' is not installed. The Aspire tests need Docker or Podman (ASPIRE_CONTAINER_RUNTIME=podman) to run the Redis container.";
        }
        catch (OperationCanceledException)
        {
            return $"The container runtime '{runtime}' did not answer within 15 s. The Aspire tests need it to run the Redis container.";
        }
    }
}
