using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;

namespace AspireChat.Bench.Verbs;

/// <summary>
/// <c>smoke</c>: a few users for a few seconds, direct to the mock and through ChatApi (in-memory), every reply's
/// text checked. CI runs it so the load generator cannot rot; it fails on any error or a run with no chunks.
/// </summary>
internal static class SmokeVerb
{
    public static async Task<int> RunAsync(Arguments arguments, CancellationToken cancellationToken)
    {
        var users = arguments.Int("users", 4);
        var turns = arguments.Int("turns", 3);
        var pacing = new Pacing(TimeSpan.Zero, TimeSpan.FromMilliseconds(2), 20);
        Target[] targets = arguments.Text("target", "") is { Length: > 0 } target ? [Target.Parse(target)] : [Target.Direct, Target.ChatApiInMemory];

        await using var mock = await MockProcess.StartAsync(cancellationToken);
        var failed = false;
        foreach (var t in targets)
        {
            await using var system = await SystemUnderTest.StartAsync(t, mock, pacing.Model, null, cancellationToken);
            var result = await Scenario.LoadAsync(system, pacing, new LoadPlan(users, turns, null, TimeSpan.FromMilliseconds(100)), verifyText: true, cancellationToken);
            var ok = result.ErrorCount == 0 && result.Chunks > 0 && result.Replies == users * turns && result.ConnectionsHeld == users;
            Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {t.Name}: {result.Summary()}");
            failed |= !ok;
        }

        return failed ? 1 : 0;
    }
}
