namespace AspireChat.AppHost.Cache;

/// <summary>
/// A local Redis Cluster under the AppHost: <c>redis-server</c> processes in cluster mode (its children on the
/// dashboard), which the AppHost forms into one cluster before the resource is Running. Its connection string names
/// every node with the password, as a managed cluster's does, so ChatApi connects as it would in production.
/// </summary>
internal sealed class RedisClusterResource(string name, IReadOnlyList<int> ports, ParameterResource password)
    : Resource(name), IResourceWithConnectionString, IResourceWithWaitSupport
{
    /// <summary>The nodes' client ports; each node's cluster bus listens on its port + 10000.</summary>
    public IReadOnlyList<int> Ports { get; } = ports;

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{string.Join(",", Ports.Select(port => $"127.0.0.1:{port}"))},password={PasswordParameter}");
}
