extern alias AppHost;

using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using ContainerRuntime = AppHost::AspireChat.AppHost.Cache.ContainerRuntime;
using InMemoryCacheResource = AppHost::AspireChat.AppHost.Cache.InMemoryCacheResource;
using RedisClusterResource = AppHost::AspireChat.AppHost.Cache.RedisClusterResource;
using RedisServerResource = AppHost::AspireChat.AppHost.Cache.RedisServerResource;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// What runs the <c>cache</c> (<c>Cache:RunAs</c>): Aspire's container where a container runtime answers, a redis-server
/// process where none does, a local Redis Cluster, or, where no Redis can run, ChatApi's memory, with a warning on the
/// dashboard; and a Redis that was asked for by name and cannot run fails clearly, never replaced by memory. Most tests
/// read the app model without starting it; the last ones start the AppHost in each mode this machine can run.
/// </summary>
public sealed class CacheTests
{
    /// <summary>An AppHost's start, with DCP and the dashboard, on a busy machine.</summary>
    private static readonly TimeSpan ModeTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task WithNoContainerRuntimeTheCacheIsARedisServerProcessWithAPassword()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
            ["ASPIRE_CONTAINER_RUNTIME=aspirechat-no-such-runtime"], cancellationToken);

        var cache = Assert.IsType<RedisServerResource>(appHost.Resources.Single(r => r.Name == "cache"));
        Assert.Equal("redis-server", cache.Command);
        Assert.True(cache.PasswordParameter.Secret);
        Assert.Equal("{cache.bindings.tcp.host}:{cache.bindings.tcp.port},password={cache-password.value}", cache.ConnectionStringExpression.ValueExpression);
    }

    [Fact]
    public async Task CacheRunAsContainerIsAspiresRedisWithItsDataVolume()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(["Cache:RunAs=Container"], cancellationToken);

        var cache = Assert.IsType<RedisResource>(appHost.Resources.Single(r => r.Name == "cache"));
        Assert.Contains(cache.Annotations.OfType<ContainerMountAnnotation>(), mount => mount.Type == ContainerMountType.Volume && mount.Target == "/data");
    }

    [Fact]
    public async Task AnUnknownCacheRunAsIsAClearError()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(["Cache:RunAs=Kubernetes"], cancellationToken);
        });

        Assert.Contains("Cache:RunAs is 'Kubernetes'; it must be Auto, Container, Process, Cluster or InMemory.", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CacheRunAsClusterIsThreeRedisServerNodesOnFixedPortsBehindOneConnectionString()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(["Cache:RunAs=Cluster", "Cache:ClusterPort=7101"], cancellationToken);

        var cache = Assert.IsType<RedisClusterResource>(appHost.Resources.Single(r => r.Name == "cache"));
        var nodes = appHost.Resources.OfType<RedisServerResource>().ToList();
        var chatApi = appHost.Resources.Single(r => r.Name == "chatapi");

        Assert.Equal([7101, 7102, 7103], cache.Ports);
        Assert.True(cache.PasswordParameter.Secret);
        Assert.Equal("127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103,password={cache-password.value}", cache.ConnectionStringExpression.ValueExpression);
        Assert.Equal(["cache-7101", "cache-7102", "cache-7103"], nodes.Select(n => n.Name));
        Assert.All(nodes, node =>
        {
            // Not proxied: the port a node tells clients (MOVED, CLUSTER SLOTS) is the one it listens on.
            var endpoint = Assert.Single(node.Annotations.OfType<EndpointAnnotation>());
            Assert.False(endpoint.IsProxied);
            Assert.Equal(endpoint.Port, endpoint.TargetPort);
            Assert.Contains(node.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource == cache && r.Type == "Parent");
        });
        Assert.Contains(chatApi.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == cache);
    }

    [Fact]
    public async Task CacheRunAsInMemoryGivesChatApiNoConnectionStringAndNothingToWaitFor()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(["Cache:RunAs=InMemory"], cancellationToken);

        var cache = Assert.IsType<InMemoryCacheResource>(appHost.Resources.Single(r => r.Name == "cache"));
        var chatApi = appHost.Resources.Single(r => r.Name == "chatapi");

        // No reference (the connection string's way in) and no wait: ChatApi starts at once, with history in memory.
        Assert.DoesNotContain(chatApi.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource == cache);
        Assert.DoesNotContain(chatApi.Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == cache);
    }

    [Fact]
    public async Task TheTestsGiveTheContainerCacheAnAnonymousVolumeInPlaceOfTheDevelopersOne()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(["Cache:RunAs=Container"], cancellationToken);
        var cache = appHost.Resources.Single(r => r.Name == "cache");
        var developersVolume = Assert.Single(cache.Annotations.OfType<ContainerMountAnnotation>());
        Assert.NotNull(developersVolume.Source);

        AspireAppFixture.UseAnonymousVolumes(appHost);

        // Still mounted where Redis keeps its data, but with no name: a new volume for this run only.
        var testVolume = Assert.Single(cache.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Null(testVolume.Source);
        Assert.Equal(developersVolume.Target, testVolume.Target);
    }

    [Fact]
    public void AMissingRuntimeIsReportedAsNotInstalled() =>
        Assert.Equal("'aspirechat-no-such-runtime' is not installed", ContainerRuntime.WhyUnavailable("aspirechat-no-such-runtime"));

    [Fact]
    public void ARuntimeWhoseInfoFailsIsReportedWithItsExitCode() =>
        // /bin/false stands for a runtime whose daemon is down: 'info' exits with 1.
        Assert.StartsWith("'false info' exited with 1", ContainerRuntime.WhyUnavailable("false"), StringComparison.Ordinal);

    [Fact]
    public void ARuntimeWhoseInfoSucceedsIsAvailable() => Assert.Null(ContainerRuntime.WhyUnavailable("true"));

    [Fact]
    public async Task CacheRunAsProcessWithoutRedisServerFailsToStartAndSaysWhyAndIsNotReplacedByMemory()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var cacheDirectory = Directory.CreateTempSubdirectory("aspirechat-apphost-cache-").FullName;
        try
        {
            await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
                [
                    .. AspireAppFixture.TestRunArgs(cacheDirectory),
                    .. AspireAppFixture.OfflineModelArgs,
                    "Cache:RunAs=Process",
                    "Cache:RedisServer=aspirechat-no-such-redis-server",
                ],
                cancellationToken);
            await using var app = await appHost.BuildAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(90));
            await app.StartAsync(timeout.Token);

            // The cache ends in a failed state, and what depends on it does not wait forever: it fails too.
            var cache = await app.ResourceNotifications.WaitForResourceAsync("cache", e => IsFailed(e.Snapshot.State?.Text), timeout.Token);
            var chatApi = await app.ResourceNotifications.WaitForResourceAsync("chatapi", e => IsFailed(e.Snapshot.State?.Text), timeout.Token);
            Assert.NotNull(cache.Snapshot.State);
            Assert.NotNull(chatApi.Snapshot.State);

            // Its log on the dashboard says why and what to do.
            var logs = await ReadLogAsync(app, "cache", "aspirechat-no-such-redis-server", timeout.Token);
            Assert.Contains("'aspirechat-no-such-redis-server' is not found. Start Docker or Podman, or install Redis", logs, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(cacheDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task WithNeitherAContainerRuntimeNorRedisServerAutoKeepsHistoryInMemoryWarnsOnTheDashboardAndTheAppComesUp()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // No container runtime: podman, which DCP accepts as a name, where it is not installed; and redis-server made
        // unfindable for this AppHost.
        if (ContainerRuntime.WhyUnavailable("podman") is null)
        {
            Assert.Skip("podman answers on this machine, so the AppHost would run the cache in a container.");
        }

        await using var app = new AspireAppFixture(["ASPIRE_CONTAINER_RUNTIME=podman", "Cache:RedisServer=aspirechat-no-such-redis-server"]);
        await app.InitializeAsync();

        var cache = await app.WaitForAsync("cache", e => e.Snapshot.State?.Text == InMemoryCacheResource.StateText, "in memory", ModeTimeout, cancellationToken);
        await app.WaitForHealthyAsync("chatapi", ModeTimeout, cancellationToken);
        await app.WaitForHealthyAsync("web", ModeTimeout, cancellationToken);

        Assert.Equal(KnownResourceStateStyles.Warn, cache.Snapshot.State!.Style);
        Assert.NotEqual(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, cache.Snapshot.HealthStatus);
        var properties = cache.Snapshot.Properties.ToDictionary(p => p.Name, p => p.Value?.ToString());
        Assert.Equal(InMemoryCacheResource.InstallHint, properties[CustomResourceKnownProperties.Source]);
        Assert.StartsWith("no container runtime answers ('podman", properties["why"], StringComparison.Ordinal);
        Assert.EndsWith(" and 'aspirechat-no-such-redis-server' is not found", properties["why"], StringComparison.Ordinal);
        await AssertChatKeepsHistoryInMemoryAsync(app, cancellationToken);
    }

    [Fact]
    public async Task CacheRunAsInMemoryBringsTheAppUpWithHistoryInMemory()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var app = new AspireAppFixture(["Cache:RunAs=InMemory"]);
        await app.InitializeAsync();

        var cache = await app.WaitForAsync("cache", e => e.Snapshot.State?.Text == InMemoryCacheResource.StateText, "in memory", ModeTimeout, cancellationToken);
        await app.WaitForHealthyAsync("chatapi", ModeTimeout, cancellationToken);
        await app.WaitForHealthyAsync("web", ModeTimeout, cancellationToken);

        Assert.Equal(KnownResourceStateStyles.Warn, cache.Snapshot.State!.Style);
        Assert.Equal("Cache:RunAs is InMemory", cache.Snapshot.Properties.Single(p => p.Name == "why").Value?.ToString());
        await AssertChatKeepsHistoryInMemoryAsync(app, cancellationToken);
    }

    [Fact]
    public async Task CacheRunAsClusterFormsALocalClusterAndChatApiIsHealthyOnIt()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var firstPort = RedisCluster.FreeNodePorts(3, consecutive: true)[0];
        await using var app = new AspireAppFixture(["Cache:RunAs=Cluster", $"Cache:ClusterPort={firstPort}"]);
        await app.InitializeAsync();

        await app.WaitForHealthyAsync("cache", ModeTimeout, cancellationToken);
        await app.WaitForHealthyAsync("chatapi", ModeTimeout, cancellationToken);
        await app.WaitForHealthyAsync("web", ModeTimeout, cancellationToken);

        // Every node is a master holding slots of one cluster, and ChatApi reached it with the connection string.
        var connectionString = await app.App.GetConnectionStringAsync("cache", cancellationToken);
        Assert.StartsWith($"127.0.0.1:{firstPort},127.0.0.1:{firstPort + 1},127.0.0.1:{firstPort + 2},password=", connectionString, StringComparison.Ordinal);
        await using var redis = Integration.Redis.TestRedis.Connect(connectionString!);
        var servers = redis.GetServers();
        Assert.Equal(3, servers.Length);
        Assert.All(servers, server => Assert.Equal(StackExchange.Redis.ServerType.Cluster, server.ServerType));
        Assert.Equal(3, servers[0].ClusterConfiguration!.Nodes.Count(node => !node.IsReplica && node.Slots.Count > 0));
        using var chatApi = app.App.CreateHttpClient("chatapi", "http");
        using var list = await chatApi.GetAsync("/api/conversations", cancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, list.StatusCode);
        // A chat through web on the cluster, read back from chatapi: every key of the turn in its conversation's slot.
        var chat = new WebSocketChat(app.App.GetEndpoint("web", "http"));
        var reply = await chat.SendAsync("Which shard am I on?", traceparent: null, cancellationToken);
        Assert.Equal("stop", reply.FinishReason);
        var messages = await AppHostTests.ReadMessagesAsync(chat, app.App.GetEndpoint("chatapi", "http"), reply.ConversationId, cancellationToken);
        Assert.Equal(["Which shard am I on?", reply.Text], messages.Select(m => (string)m!["content"]!));
    }

    /// <summary>A chat through web is answered and read back from chatapi: history in chatapi's memory.</summary>
    private static async Task AssertChatKeepsHistoryInMemoryAsync(AspireAppFixture app, CancellationToken cancellationToken)
    {
        var chat = new WebSocketChat(app.App.GetEndpoint("web", "http"));
        var reply = await chat.SendAsync("Where is my history?", traceparent: null, cancellationToken);
        Assert.Equal("stop", reply.FinishReason);
        var messages = await AppHostTests.ReadMessagesAsync(chat, app.App.GetEndpoint("chatapi", "http"), reply.ConversationId, cancellationToken);
        Assert.Equal(["Where is my history?", reply.Text], messages.Select(m => (string)m!["content"]!));
        // ChatApi was given no connection string, which is what keeps its history in memory.
        Assert.True(app.App.ResourceNotifications.TryGetCurrentState("chatapi", out var chatApi));
        Assert.DoesNotContain(chatApi.Snapshot.EnvironmentVariables, variable => variable.Name.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
        Assert.Contains(chatApi.Snapshot.EnvironmentVariables, variable => variable.Name == "Model__Provider");
    }

    private static bool IsFailed(string? state) =>
        state == KnownResourceStates.FailedToStart || state == KnownResourceStates.Exited || state == KnownResourceStates.Finished;

    private static async Task<string> ReadLogAsync(DistributedApplication app, string resource, string until, CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        await foreach (var batch in logs.WatchAsync(model.Resources.Single(r => r.Name == resource)).WithCancellation(cancellationToken))
        {
            foreach (var line in batch)
            {
                text.AppendLine(line.Content);
            }

            if (text.ToString().Contains(until, StringComparison.Ordinal))
            {
                break;
            }
        }

        return text.ToString();
    }
}
