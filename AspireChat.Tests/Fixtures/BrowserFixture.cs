using Microsoft.Playwright;

namespace AspireChat.Tests.Fixtures;

/// <summary>
/// One headless Chromium for the browser tests: the system's <c>/usr/bin/chromium</c> (CI installs
/// it with apt), driven by Playwright. Nothing here downloads a browser; a missing Chromium fails
/// the tests with a message that says so, rather than letting them pass without a browser.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    /// <summary>Where the tests save screenshots: <c>artifacts/screenshots</c> at the repository root (git-ignored).</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Chromium at {ChromiumPath} (apt-get install chromium); they never download one.");
        }

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>A fresh, isolated browser profile (its own cookies), light theme, desktop size unless told otherwise.</summary>
    public Task<IBrowserContext> NewContextAsync(Uri baseAddress, BrowserNewContextOptions? options = null)
    {
        options ??= new();
        options.BaseURL = baseAddress.ToString();
        options.ViewportSize ??= new() { Width = 1280, Height = 800 };
        options.ColorScheme ??= ColorScheme.Light;
        return Browser.NewContextAsync(options);
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AspireChat.sln")))
            {
                return directory.FullName;
            }
        }

        return AppContext.BaseDirectory;
    }
}
