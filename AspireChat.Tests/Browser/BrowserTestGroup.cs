using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Browser;

/// <summary>
/// The browser tests share one Chromium and run one after another: they time streaming replies,
/// and two cores shared with builds are no place for several browsers at once.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserTestGroup : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}

/// <summary>A fast-writing ChatApi and Web, shared by the tests of one class.</summary>
public sealed class FastChatSite : IAsyncLifetime
{
    public ChatSite Site { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Site = await ChatSite.StartAsync(OfflineModelPacing.Fast);

    public ValueTask DisposeAsync() => Site.DisposeAsync();
}

/// <summary>A slow-writing ChatApi and Web: replies last long enough to stop, reload or scroll mid-way.</summary>
public sealed class SlowChatSite : IAsyncLifetime
{
    public ChatSite Site { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Site = await ChatSite.StartAsync(OfflineModelPacing.Slow);

    public ValueTask DisposeAsync() => Site.DisposeAsync();
}
