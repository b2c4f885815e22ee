namespace AspireChat.Bench.Load;

/// <summary>How a load run drives its users.</summary>
/// <param name="Users">Concurrent virtual users, each with its own connection.</param>
/// <param name="TurnsPerUser">Messages each user sends, one after another, when <paramref name="Duration"/> is not set.</param>
/// <param name="Duration">When set, users keep sending until it has passed (the turn under way completes).</param>
/// <param name="RampUp">Users start their first measured message spread evenly over this time, not all at once.</param>
/// <param name="WarmUpTurns">Unmeasured messages each user sends first (JIT, connection pools, conversations created).</param>
public sealed record LoadPlan(int Users, int TurnsPerUser, TimeSpan? Duration, TimeSpan RampUp, int WarmUpTurns = 1)
{
    /// <summary>The longest one message may take before it counts as a timeout.</summary>
    public TimeSpan TurnTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Connections opened at the same time: the server's accept backlog is finite.</summary>
    public int ConnectParallelism { get; init; } = 64;
}
