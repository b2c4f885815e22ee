using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AspireChat.AppHost.Cache;

/// <summary>
/// The <c>cache</c>, by <c>Cache:RunAs</c> (<see cref="CacheRunAs"/>): Aspire's Redis container wherever a container
/// runtime answers, and always in what is published (azd deploys the container); on a machine with no container
/// engine, a <c>redis-server</c> process in its place; a local Redis Cluster on request; and where neither a container
/// runtime nor <c>redis-server</c> exists, no Redis at all (ChatApi keeps history in memory), decided once, at the
/// AppHost's start. A Redis that was configured or started and then fails is never replaced by memory.
/// </summary>
internal static class CacheExtensions
{
    public static IResourceBuilder<IResource> AddCache(this IDistributedApplicationBuilder builder, string name)
    {
        var configured = builder.Configuration["Cache:RunAs"] ?? nameof(CacheRunAs.Auto);
        if (!Enum.TryParse<CacheRunAs>(configured, ignoreCase: true, out var runAs) || !Enum.IsDefined(runAs))
        {
            throw new InvalidOperationException($"Cache:RunAs is '{configured}'; it must be {string.Join(", ", Enum.GetNames<CacheRunAs>()[..^1])} or {Enum.GetNames<CacheRunAs>()[^1]}.");
        }

        if (builder.ExecutionContext.IsPublishMode || runAs == CacheRunAs.Container)
        {
            // The data volume (which also turns on Redis persistence) keeps history across restarts.
            return builder.AddRedis(name).WithDataVolume();
        }

        var dataDirectory = builder.Configuration["Cache:DataDirectory"]
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "AspireChat", name);
        switch (runAs)
        {
            case CacheRunAs.Process:
                return builder.AddRedisServer(name, "Cache:RunAs is Process", dataDirectory);
            case CacheRunAs.Cluster:
                return builder.AddRedisCluster(name, dataDirectory);
            case CacheRunAs.InMemory:
                return builder.AddInMemoryCache(name, "Cache:RunAs is InMemory");
        }

        if (ContainerRuntime.WhyUnavailable(ContainerRuntime.Configured(builder.Configuration)) is not { } noRuntime)
        {
            return builder.AddRedis(name).WithDataVolume();
        }

        var redisServer = builder.Configuration["Cache:RedisServer"] ?? "redis-server";
        return ExecutableSearch.Exists(redisServer)
            ? builder.AddRedisServer(name, $"no container runtime answers ({noRuntime})", dataDirectory)
            : builder.AddInMemoryCache(name, $"no container runtime answers ({noRuntime}) and '{redisServer}' is not found");
    }

    /// <summary>
    /// Gives <paramref name="project"/> the cache's connection string and makes it start once the cache serves; with the
    /// cache in memory, nothing: without <c>ConnectionStrings__cache</c> ChatApi keeps history in its memory.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithCache(this IResourceBuilder<ProjectResource> project, IResourceBuilder<IResource> cache)
    {
        if (cache.Resource is not IResourceWithConnectionString redis)
        {
            return project;
        }

        var reference = project.ApplicationBuilder.CreateResourceBuilder(redis);
        return project.WithReference(reference).WaitFor(reference);
    }

    /// <summary>No Redis: a resource that only says so, in a warning state, on the dashboard and in the AppHost's log.</summary>
    public static IResourceBuilder<InMemoryCacheResource> AddInMemoryCache(this IDistributedApplicationBuilder builder, string name, string why)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((started, _) =>
        {
            CacheLog.InMemory(started.Services.GetRequiredService<ILogger<InMemoryCacheResource>>(), why);
            return Task.CompletedTask;
        });

        return builder.AddResource(new InMemoryCacheResource(name))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "InMemory",
                State = new ResourceStateSnapshot(InMemoryCacheResource.StateText, KnownResourceStateStyles.Warn),
                // The dashboard shows a custom resource's source in its Source column: the hint, where the user looks.
                Properties = [new(CustomResourceKnownProperties.Source, InMemoryCacheResource.InstallHint), new("why", why)],
            })
            .ExcludeFromManifest()
            .OnInitializeResource((_, initialize, _) =>
            {
                CacheLog.InMemory(initialize.Logger, why);
                return Task.CompletedTask;
            });
    }

    /// <summary>
    /// A <c>redis-server</c> process with the container's settings: a generated password, snapshots every 60 s when a key
    /// changed, its data in <c>Cache:DataDirectory</c> (default: the user's local application data), loopback only.
    /// <c>Cache:RedisServer</c> names the program when it is not <c>redis-server</c> on PATH.
    /// </summary>
    public static IResourceBuilder<RedisServerResource> AddRedisServer(this IDistributedApplicationBuilder builder, string name, string why, string dataDirectory)
    {
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
                await RedisServerConfig.WriteAsync(dataDirectory, await password.GetValueAsync(cancellationToken), clusterNode: false, cancellationToken));
    }
}
