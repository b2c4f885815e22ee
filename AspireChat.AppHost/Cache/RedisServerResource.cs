namespace AspireChat.AppHost.Cache;

/// <summary>
/// Redis as a <c>redis-server</c> process under the AppHost: the same connection string as Aspire's Redis container
/// (<c>host:port,password=...</c>), so <c>WithReference(cache)</c> and ChatApi's <c>AddRedisClient("cache")</c> do not
/// know the difference.
/// </summary>
internal sealed class RedisServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={PasswordParameter}");
}
