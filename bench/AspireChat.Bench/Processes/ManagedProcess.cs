using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AspireChat.Bench.Processes;

/// <summary>
/// A process the benchmark started (a service, the mock, redis-server): its output is kept (the tail) for error
/// messages, and it is always ended when disposed.
/// </summary>
internal sealed partial class ManagedProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Action<string>? _onLine;

    private ManagedProcess(string name, Process process, Action<string>? onLine)
    {
        Name = name;
        _process = process;
        _onLine = onLine;
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string OutputTail => string.Join(Environment.NewLine, _output);

    /// <summary>
    /// Starts <paramref name="fileName"/>; <paramref name="onLine"/> sees every line it writes. With
    /// <paramref name="cores"/> it starts under <c>taskset</c>, so the process is on those cores from its first
    /// instruction: .NET sizes its GC and thread pool from the cores it may use when it starts.
    /// </summary>
    public static ManagedProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?> environment,
        Action<string>? onLine = null,
        IReadOnlyList<int>? cores = null)
    {
        if (cores is not null)
        {
            // taskset execs the program: the process id stays the one measured.
            arguments = ["-c", CpuAffinity.FormatList(cores), fileName, .. arguments];
            fileName = "taskset";
        }

        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {name}.");
        var managed = new ManagedProcess(name, process, onLine);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    /// <summary>Starts a built .NET project's assembly with <c>dotnet</c>.</summary>
    public static ManagedProcess StartDotnet(
        string name,
        string assembly,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?> environment,
        Action<string>? onLine = null,
        IReadOnlyList<int>? cores = null)
    {
        var environmentWithDefaults = new Dictionary<string, string?>(environment) { ["DOTNET_NOLOGO"] = "1" };
        return Start(name, "dotnet", [assembly, .. arguments], environmentWithDefaults, onLine, cores);
    }

    /// <summary>Polls <paramref name="readyUri"/> until it answers 2xx, failing early when the process exits.</summary>
    public async Task WaitUntilReadyAsync(Uri readyUri, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            ThrowIfExited();
            try
            {
                using var response = await http.GetAsync(readyUri, cancellationToken);
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
                // Listening but still starting.
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{Name} was not ready at {readyUri} within 60 s.{Environment.NewLine}{OutputTail}");
    }

    /// <summary>How the process ended, with its last lines; null while it runs.</summary>
    public string? Exit => _process.HasExited ? $"{Name} exited with code {_process.ExitCode}.{Environment.NewLine}{OutputTail}" : null;

    public void ThrowIfExited()
    {
        if (Exit is { } exit)
        {
            throw new InvalidOperationException(exit);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first so a service shuts down as it would in production; SIGKILL if it takes too long.
            _ = SendSignal(_process.Id, SigTerm);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        _onLine?.Invoke(line);
        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
