using System.Reflection;
using Xunit.Sdk;
using Xunit.v3;

namespace AspireChat.Tests.Fixtures;

/// <summary>What a test's Redis is: one <c>redis-server</c>, or a local Redis Cluster (<see cref="RedisCluster"/>).</summary>
public enum RedisTopology
{
    SingleNode,
    Cluster,
}

/// <summary>
/// Runs a theory once per <see cref="RedisTopology"/>, the topology as its argument, with the trait
/// <c>Redis=SingleNode</c> or <c>Redis=Cluster</c>: <c>dotnet test --filter "Redis=Cluster"</c> runs every cluster case.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisTopologiesAttribute : DataAttribute
{
    public override ValueTask<IReadOnlyCollection<ITheoryDataRow>> GetData(MethodInfo testMethod, DisposalTracker disposalTracker) =>
        new([.. Enum.GetValues<RedisTopology>().Select(topology => RedisTopologies.Row(topology, topology))]);

    public override bool SupportsDiscoveryEnumeration() => true;
}

public static class RedisTopologies
{
    /// <summary>
    /// A theory row of <paramref name="data"/> for <paramref name="topology"/>, with its trait. For theories whose rows
    /// hold more than the topology.
    /// </summary>
    public static TheoryDataRow Row(RedisTopology topology, params object?[] data) =>
        new TheoryDataRow(data).WithTrait("Redis", topology.ToString());
}
