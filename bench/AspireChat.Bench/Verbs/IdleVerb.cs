using AspireChat.Bench.Processes;

namespace AspireChat.Bench.Verbs;

/// <summary>
/// <c>idle</c>: holds N idle WebSockets and prints each server's memory per connection. <c>--cold true</c> measures a
/// fresh process that has served nothing (the pinned report's <i>cold</i> method); otherwise it is warmed first.
/// </summary>
internal static class IdleVerb
{
    public static async Task<int> RunAsync(Arguments arguments, CancellationToken cancellationToken)
    {
        var target = arguments.Target("chatapi");
        var connections = arguments.Int("connections", 10_000);
        // --pin: as the run verb pins (the runtime sizes its GC by the cores it sees, so the figure depends on it).
        var cores = CorePlan.PinHarnessIf(arguments.Flag("pin"));

        await using var mock = await MockProcess.StartAsync(cancellationToken);
        await using var system = await SystemUnderTest.StartAsync(target, mock, Pacing.Ceiling.Model, cores, cancellationToken);
        var result = await Scenario.IdleAsync(system, connections, arguments.Duration("settle", TimeSpan.FromSeconds(5)), cancellationToken, warmUp: !arguments.Flag("cold"));
        Console.WriteLine($"{target.Name}: held {result.Held} of {result.Requested} idle connections (opened in {result.ConnectTime.TotalSeconds:F1} s)");
        foreach (var process in result.Processes)
        {
            Console.WriteLine($"  {process.Name}: {process.ResidentBytesBefore / 1048576.0:F1} -> {process.ResidentBytesAfter / 1048576.0:F1} MiB, {process.BytesPerConnection / 1024:F1} KiB per connection");
        }

        return result.Held == result.Requested ? 0 : 1;
    }
}
