using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AspireChat.Tests.Fixtures;

/// <summary>
/// One of the solution's services (ChatApi, Web, ...) started from its build output as a real
/// process, configured only through environment variables, exactly as the AppHost starts it.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(string name, Process process, Uri baseAddress)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
    }

    public string Name { get; }

    /// <summary>The http address the service listens on (its ASPNETCORE_URLS).</summary>
    public Uri BaseAddress { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to stdout and stderr so far: for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>
    /// Starts <paramref name="projectName"/> (e.g. "AspireChat.ChatApi") on a free loopback port
    /// and waits until its <paramref name="readyPath"/> answers 200.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(
        string projectName,
        IReadOnlyDictionary<string, string?>? environment = null,
        string readyPath = "/alive",
        int? port = null,
        CancellationToken cancellationToken = default)
    {
        var assembly = FindBuiltAssembly(projectName);
        var baseAddress = new Uri($"http://127.0.0.1:{port ?? FreeTcpPort()}");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(assembly);
        startInfo.Environment["ASPNETCORE_URLS"] = baseAddress.ToString().TrimEnd('/');
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[key] = value;
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {projectName}.");
        var service = new ServiceProcess(projectName, process, baseAddress);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await service.WaitUntilReadyAsync(readyPath, cancellationToken);
        return service;
    }

    /// <summary>Asks the process to stop (SIGTERM, as a container runtime does) and waits for it to exit.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = SendSignal(_process.Id, SigTerm);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Name} did not stop within the timeout.{Environment.NewLine}{Output}");
        }
    }

    /// <summary>Ends the process at once (SIGKILL): a crash, as far as anyone else can tell.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    /// <summary>
    /// A TCP port on loopback that nothing listens on right now, picked below Linux's ephemeral range
    /// (32768+), where outgoing connections take their local ports: a port the OS hands out for
    /// "any free one" can be taken by a client connection before the server binds it. Nor from the Redis Cluster nodes'
    /// ports and their bus ports (<see cref="RedisCluster.FreeNodePorts"/>: 20000–22767 and 30000–32767): a node
    /// binds its bus port when it starts, so a port found free here was once taken by a cluster between this check and
    /// the service's bind (ChatApi then exited with "address already in use").
    /// </summary>
    public static int FreeTcpPort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = Random.Shared.Next(22_768, 30_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }

        using var fallback = new TcpListener(IPAddress.Loopback, 0);
        fallback.Start();
        return ((IPEndPoint)fallback.LocalEndpoint).Port;
    }

    private async Task WaitUntilReadyAsync(string readyPath, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was ready.{Environment.NewLine}{Output}");
            }

            try
            {
                using var response = await http.GetAsync(readyPath, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Listening but slow to answer during start-up.
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{Name} was not ready at {readyPath} within 60 s.{Environment.NewLine}{Output}");
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        // Keep the tail only: a long-running service must not grow the test's memory.
        while (_output.Count > 2_000 && _output.TryDequeue(out _))
        {
        }
    }

    /// <summary>The project's own build output, next to the tests' (same configuration).</summary>
    private static string FindBuiltAssembly(string projectName)
    {
        // AppContext.BaseDirectory is .../AspireChat.Tests/bin/{Configuration}/{tfm}/
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var targetFramework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var repositoryRoot = testOutput.Parent.Parent!.Parent!.Parent!.FullName;
        var assembly = Path.Combine(repositoryRoot, projectName, "bin", configuration, targetFramework, projectName + ".dll");
        return File.Exists(assembly)
            ? assembly
            : throw new FileNotFoundException($"{projectName} is not built at {assembly}; the test project's ProjectReference builds it.");
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
