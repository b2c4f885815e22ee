namespace AspireChat.Bench.Processes;

/// <summary>
/// Where each process of a pinned run runs: ChatApi alone on <see cref="ServerCores"/>; the load generator, the mock
/// and (unless <see cref="RedisOnServerCores"/>) redis-server on <see cref="HarnessCores"/>.
/// </summary>
public sealed record CorePlan(IReadOnlyList<int> ServerCores, IReadOnlyList<int> HarnessCores, bool RedisOnServerCores = false)
{
    /// <summary>The layout on a two-core machine: ChatApi on core 0, everything else on core 1.</summary>
    public static CorePlan TwoCores { get; } = new([0], [1]);

    /// <summary>
    /// <c>--pin</c> of the run and idle verbs: pins this process to the harness's core (the mock, started after it,
    /// inherits it) and returns the plan ChatApi is started with; null (nothing pinned) without it.
    /// </summary>
    public static CorePlan? PinHarnessIf(bool pin)
    {
        if (!pin)
        {
            return null;
        }

        CpuAffinity.Pin(Environment.ProcessId, TwoCores.HarnessCores);
        return TwoCores;
    }

    public IReadOnlyList<int> RedisCores => RedisOnServerCores ? ServerCores : HarnessCores;

    public override string ToString() =>
        $"ChatApi on core {CpuAffinity.FormatList(ServerCores)}; mock and load generator on core {CpuAffinity.FormatList(HarnessCores)}; redis-server on core {CpuAffinity.FormatList(RedisCores)}";
}
