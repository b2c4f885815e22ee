using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace AspireChat.AppHost.Cache;

/// <summary>
/// Whether the container runtime Aspire would use (<c>ASPIRE_CONTAINER_RUNTIME</c>, else docker) answers. DCP finds
/// out too, but only after the app model is built; the cache must know before, to choose a container or a process.
/// </summary>
internal static class ContainerRuntime
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The runtime's name as Aspire reads it from configuration.</summary>
    public static string Configured(IConfiguration configuration) =>
        configuration["ASPIRE_CONTAINER_RUNTIME"] is { Length: > 0 } configured ? configured : "docker";

    /// <summary>Asks <paramref name="runtime"/> (docker, podman) for its <c>info</c>: null when it answers, else why not.</summary>
    public static string? WhyUnavailable(string runtime)
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
            // Both streams are drained so a long 'info' cannot fill a pipe and stall the runtime.
            _ = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(AnswerTimeout))
            {
                process.Kill(entireProcessTree: true);
                return $"'{runtime} info' did not answer within {AnswerTimeout.TotalSeconds:0} s";
            }

            return process.ExitCode == 0 ? null : $"'{runtime} info' exited with {process.ExitCode}: {FirstLine(errors.Result)}";
        }
        catch (Win32Exception)
        {
            return $"'{runtime}' is not installed";
        }
    }

    private static string FirstLine(string text) => text.Trim().Split('\n')[0].Trim();
}
