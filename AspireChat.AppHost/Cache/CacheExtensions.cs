using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AspireChat.AppHost.Cache;

/// <summary>
/// The <c>cache</c>: Aspire's Redis container wherever a container runtime answers, and always in what is published
/// (azd deploys the container); on a machine with no container engine, a <c>redis-server</c> process in its place.
/// <c>Cache:RunAs</c> (<c>Auto</c>, <c>Container</c>, <c>Process</c>) overrides the choice.
/// </summary>
internal static class CacheExtensions
{
    public static IResourceBuilder<IResourceWithConnectionString> AddCache(this IDistributedApplicationBuilder builder, string name)
    {
        var runAs = builder.Configuration["Cache:RunAs"] ?? "Auto";
        var runtime = ContainerRuntime.Configured(builder.Configuration);
        var whyNoContainer = builder.ExecutionContext.IsPublishMode ? null : runAs.ToUpperInvariant() switch
        {
            "CONTAINER" => null,
            "PROCESS" => "Cache:RunAs is Process",
            "AUTO" => ContainerRuntime.WhyUnavailable(runtime) is { } reason ? $"no container runtime answers ({reason})" : null,
            _ => throw new InvalidOperationException($"Cache:RunAs is '{runAs}'; it must be Auto, Container or Process."),
        };

        if (whyNoContainer is null)
        {
            // The data volume (which also turns on Redis persistence) keeps history across restarts.
            return builder.AddRedis(name).WithDataVolume();
        }

        return builder.AddRedisServer(name, whyNoContainer);
    }

    /// <summary>
    /// A <c>redis-server</c> process with the container's settings: a generated password, snapshots every 60 s when a key
    /// changed, its data in <c>Cache:DataDirectory</c> (default: the user's local application data), loopback only.
    /// <c>Cache:RedisServer</c> names the program when it is not <c>redis-server</c> on PATH.
    /// </summary>
    public static IResourceBuilder<RedisServerResource> AddRedisServer(this IDistributedApplicationBuilder builder, string name, string why)
    {
        var dataDirectory = builder.Configuration["Cache:DataDirectory"]
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "AspireChat", name);
        Directory.CreateDirectory(dataDirectory);

        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var command = builder.Configuration["Cache:RedisServer"] ?? "redis-server";
        var redis = new RedisServerResource(name, command, dataDirectory, password);
        var installed = ExecutableSearch.Exists(command);

        // The same health check as Aspire's Redis container: a PING with the connection string.
        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, cancellationToken) =>
            connectionString = await redis.ConnectionStringExpression.GetValueAsync(cancellationToken));
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(_ => connectionString ?? throw new InvalidOperationException("The cache's connection string is not known yet."), name: healthCheckKey);

        // Why a process and not the container: on the AppHost's console, and in the resource's own log on the dashboard.
        void Explain(ILogger logger)
        {
            if (installed)
            {
                CacheLog.RunsAsProcess(logger, why, dataDirectory);
            }
            else
            {
                CacheLog.CannotStart(logger, name, why, command);
            }
        }

        builder.Eventing.Subscribe<BeforeStartEvent>((started, _) =>
        {
            Explain(started.Services.GetRequiredService<ILogger<RedisServerResource>>());
            Explain(started.Services.GetRequiredService<ResourceLoggerService>().GetLogger(redis));
            return Task.CompletedTask;
        });

        return builder.AddResource(redis)
            .WithEndpoint(name: RedisServerResource.PrimaryEndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                // The password goes in through a file, not an argument that ps and the dashboard would show.
                context.Args.Add(Path.Combine(dataDirectory, RedisServerConfig.FileName));
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .OnBeforeResourceStarted(async (resource, started, cancellationToken) =>
                await RedisServerConfig.WriteAsync(dataDirectory, await password.GetValueAsync(cancellationToken), cancellationToken));
    }
}
