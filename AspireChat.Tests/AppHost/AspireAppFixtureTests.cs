using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// What <see cref="AspireAppFixture"/> changes in the AppHost for the Aspire tests, read from the
/// application model without starting it (no container runtime needed): the offline model whatever
/// is configured, and a Redis volume of the test run's own.
/// </summary>
public sealed class AspireAppFixtureTests
{
    [Fact]
    public async Task TheTestsRunTheOfflineModelEvenWithAKeyConfigured()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // A key and UseOpenAI=true first, as a developer's configuration would have them; the fixture's settings come after.
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
            ["Parameters:openai-api-key=sk-test", "UseOpenAI=true", .. AspireAppFixture.OfflineModelArgs],
            cancellationToken);

        Assert.DoesNotContain(appHost.Resources.OfType<ParameterResource>(), p => p.Name.StartsWith("openai", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheCacheGetsAnAnonymousVolumeInPlaceOfTheDevelopersOne()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(cancellationToken);
        var cache = appHost.Resources.Single(r => r.Name == "cache");
        var developersVolume = Assert.Single(cache.Annotations.OfType<ContainerMountAnnotation>());
        Assert.NotNull(developersVolume.Source);

        AspireAppFixture.UseAnonymousVolumes(appHost);

        // Still mounted where Redis keeps its data, but with no name: a new volume for this run only.
        var testVolume = Assert.Single(cache.Annotations.OfType<ContainerMountAnnotation>());
        Assert.Equal(ContainerMountType.Volume, testVolume.Type);
        Assert.Null(testVolume.Source);
        Assert.Equal(developersVolume.Target, testVolume.Target);
    }
}
