namespace AspireChat.MockOpenAI;

/// <summary>
/// Runs the mock on its own: <c>dotnet run --project bench/AspireChat.MockOpenAI -- --ttft 200ms --interval 20ms --tokens 50 --port 5099 --http2-port 5098</c>.
/// The same settings come from the environment as <c>MockOpenAI__TimeToFirstToken</c> and so on.
/// </summary>
internal static class Program
{
    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--ttft"] = "MockOpenAI:TimeToFirstToken",
        ["--interval"] = "MockOpenAI:TokenInterval",
        ["--tokens"] = "MockOpenAI:TokenCount",
        ["--port"] = "MockOpenAI:Port",
        ["--http2-port"] = "MockOpenAI:Http2Port",
        ["--record-requests"] = "MockOpenAI:RecordRequests",
    };

    public static async Task<int> Main(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(args, Switches)
            .Build();
        var options = MockOpenAIOptions.FromConfiguration(configuration);
        // A long-running server must not keep every request it was sent.
        options.RecordRequests = configuration.GetValue("MockOpenAI:RecordRequests", false);

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

        await using var server = await MockOpenAIServer.StartAsync(options, stop.Token);
        // The load generator reads this line to learn the port when it asked for port 0.
        Console.WriteLine($"Mock OpenAI listening on {server.BaseAddress} and, HTTP/2 only, on {server.Http2BaseAddress} (ttft {options.TimeToFirstToken.TotalMilliseconds} ms, interval {options.TokenInterval.TotalMilliseconds} ms, {options.TokenCount} tokens)");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: dispose the server and exit.
        }

        return 0;
    }
}
