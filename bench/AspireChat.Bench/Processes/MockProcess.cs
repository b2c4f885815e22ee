using System.Text.RegularExpressions;

namespace AspireChat.Bench.Processes;

/// <summary>
/// The mock OpenAI server as its own process, so its CPU is measured apart from the load generator's and
/// neither steals the other's thread pool.
/// </summary>
internal sealed partial class MockProcess : IAsyncDisposable
{
    private readonly ManagedProcess _process;

    private MockProcess(ManagedProcess process, Uri baseAddress, Uri http2BaseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Http2BaseAddress = http2BaseAddress;
    }

    /// <summary>The OpenAI base address, ending in <c>/v1/</c> (HTTP/1.1).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The same API on the mock's HTTP/2-only port (cleartext, prior knowledge).</summary>
    public Uri Http2BaseAddress { get; }

    public int Id => _process.Id;

    /// <inheritdoc cref="ManagedProcess.Exit"/>
    public string? Exit => _process.Exit;

    public static async Task<MockProcess> StartAsync(CancellationToken cancellationToken)
    {
        var listening = new TaskCompletionSource<(Uri Http1, Uri Http2)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = ManagedProcess.StartDotnet(
            "mock",
            BuildOutput.Assembly("bench/AspireChat.MockOpenAI"),
            ["--port", "0", "--http2-port", "0"],
            // Part of the harness, not what is measured: fully optimized from the first call, so no tiering runs
            // on the harness's core during a measurement (as in this process, AspireChat.Bench.csproj).
            // Idle thread-pool workers do not spin either.
            new Dictionary<string, string?> { ["DOTNET_TieredCompilation"] = "0", ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0" },
            line =>
            {
                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult((new Uri(match.Groups[1].Value), new Uri(match.Groups[2].Value)));
                }
            });
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var (http1, http2) = await listening.Task.WaitAsync(timeout.Token);
            return new MockProcess(process, http1, http2);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    [GeneratedRegex(@"listening on (\S+) and, HTTP/2 only, on (\S+)")]
    private static partial Regex ListeningLine();
}
