extern alias AppHost;

using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using ContainerRuntime = AppHost::AspireChat.AppHost.Cache.ContainerRuntime;
using RedisServerResource = AppHost::AspireChat.AppHost.Cache.RedisServerResource;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// What runs Redis for the <c>cache</c>: Aspire's container where a container runtime answers, a redis-server process
/// where none does, and a clear failure, never a hang, when neither can run. The app model is read without starting
/// it, except in the last test, which starts the AppHost with a redis-server that does not exist.
/// </summary>
public sealed class CacheTests
{
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

        Assert.Contains("Cache:RunAs is 'Kubernetes'; it must be Auto, Container or Process.", error.ToString(), StringComparison.Ordinal);
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
    public async Task WithNeitherAContainerRuntimeNorRedisServerTheCacheFailsToStartAndSaysWhy()
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
