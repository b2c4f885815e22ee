using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;

namespace AspireChat.Bench.Verbs;

/// <summary>One load or idle run against a started system: users created, driven, measured and torn down.</summary>
internal static class Scenario
{
    public static async Task<LoadResult> LoadAsync(SystemUnderTest system, Pacing pacing, LoadPlan plan, bool verifyText, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(pacing);
        ArgumentNullException.ThrowIfNull(plan);
        using var factory = new UserFactory();
        var users = factory.Create(system, pacing.Model, plan.Users, verifyText ? pacing.Tokens : null);
        try
        {
            var result = await LoadRunner.RunAsync(users, plan, Monitored(system), cancellationToken);
            if (system.Redis is { } redis && result.Replies > 0 && await redis.KeyCountAsync(cancellationToken) == 0)
            {
                throw new InvalidOperationException(
                    "ChatApi wrote nothing to Redis (this build has no Redis store, so the figure would be the in-memory one)");
            }

            return result;
        }
        finally
        {
            await DisposeAllAsync(users);
        }
    }

    /// <summary>
    /// Holds <paramref name="connections"/> idle WebSockets for <paramref name="settle"/>. With <paramref name="warmUp"/>
    /// a few replies come first, so the memory measured afterwards is the connections', not the first request's JIT.
    /// </summary>
    public static async Task<IdleResult> IdleAsync(SystemUnderTest system, int connections, TimeSpan settle, CancellationToken cancellationToken, bool warmUp = true)
    {
        ArgumentNullException.ThrowIfNull(system);
        using var factory = new UserFactory();
        if (warmUp)
        {
            var warmUsers = factory.Create(system, Pacing.Ceiling.Model, 4, null);
            try
            {
                await LoadRunner.RunAsync(warmUsers, new LoadPlan(4, 2, null, TimeSpan.Zero), Monitored(system), cancellationToken);
            }
            finally
            {
                await DisposeAllAsync(warmUsers);
            }
        }

        var users = factory.CreateIdle(system, connections);
        try
        {
            // The baseline's server is the mock; otherwise the mock only answers the warm-up and is not measured.
            var servers = system.Target.Route == Route.DirectToMock
                ? system.Processes.ToArray()
                : system.Processes.Where(p => p.Name is not ("mock" or "redis")).ToArray();
            return await IdleRunner.RunAsync(users, servers, settle, cancellationToken);
        }
        finally
        {
            await DisposeAllAsync(users);
        }
    }

    /// <summary>The servers, and this process: the load generator shares the two cores with them.</summary>
    private static (string Name, int Pid)[] Monitored(SystemUnderTest system) =>
        [.. system.Processes, ("load generator", Environment.ProcessId)];

    private static async Task DisposeAllAsync(IReadOnlyList<IVirtualUser> users)
    {
        foreach (var user in users)
        {
            await user.DisposeAsync();
        }
    }
}
