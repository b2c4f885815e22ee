using System.Diagnostics;

namespace AspireChat.Tests.AppHost;

/// <summary>The AppHost's own build output (of this test run's configuration) run as a process, as azd and <c>dotnet run</c> run it.</summary>
internal static class AppHostProcess
{
    public static async Task<(int ExitCode, string Output)> RunAsync(
        IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // This assembly is in bin/<configuration>/<framework>/, and so is the AppHost's in its project folder.
        var testOutput = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var appHost = Path.Combine(AspireChatAppHost.ProjectPath, "bin", testOutput.Parent!.Name, testOutput.Name, "AspireChat.AppHost.dll");
        var startInfo = new ProcessStartInfo("dotnet", [appHost, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AspireChatAppHost.ProjectPath,
        };
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellationToken);
            return (-1, $"Still running after {timeout.TotalSeconds:0} s.{Environment.NewLine}{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
