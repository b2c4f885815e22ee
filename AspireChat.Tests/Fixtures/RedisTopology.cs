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
/// <c>Redis=SingleNode</c> or <c>Redis=Cluster</c>. In a class marked <see cref="ClusterPendingAttribute"/> the
/// cluster's case is explicit: a plain <c>dotnet test</c> leaves it out, and
/// <c>dotnet test --filter "Redis=Cluster" -- xUnit.Explicit=on</c> runs it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisTopologiesAttribute : DataAttribute
{
    public override ValueTask<IReadOnlyCollection<ITheoryDataRow>> GetData(MethodInfo testMethod, DisposalTracker disposalTracker) =>
        new([.. Enum.GetValues<RedisTopology>().Select(topology => RedisTopologies.Row(testMethod.ReflectedType!, topology, topology))]);

    public override bool SupportsDiscoveryEnumeration() => true;
}

/// <summary>
/// The cluster's cases of this class are off by default (explicit): they fail until the code they test runs on a
/// cluster. Removing the attribute turns them on.
/// </summary>
/// <param name="reason">Why they fail today: what has to change first.</param>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ClusterPendingAttribute(string reason) : Attribute
{
    public string Reason { get; } = reason;
}

public static class RedisTopologies
{
    /// <summary>Why most Redis tests fail on a cluster today.</summary>
    public const string CrossSlot =
        "A conversation's keys and its replies' keys hash to different slots, and one script or MULTI touches several of them: a cluster answers CROSSSLOT until every key of a conversation shares its hash tag (issue 17's key layout).";

    /// <summary>
    /// A theory row of <paramref name="data"/> for <paramref name="topology"/>, with its trait; the cluster's is
    /// explicit in a class marked <see cref="ClusterPendingAttribute"/>. For theories whose rows hold more than the
    /// topology.
    /// </summary>
    public static TheoryDataRow Row(Type testClass, RedisTopology topology, params object?[] data) =>
        new TheoryDataRow(data)
            .WithTrait("Redis", topology.ToString())
            .WithExplicit(topology == RedisTopology.Cluster && testClass.GetCustomAttribute<ClusterPendingAttribute>() is not null);
}
