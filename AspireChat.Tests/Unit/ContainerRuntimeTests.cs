using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Unit;

/// <summary>The Aspire tests skip with this probe's reason when no container runtime answers.</summary>
public sealed class ContainerRuntimeTests
{
    [Fact]
    public async Task AMissingRuntimeIsReportedAsNotInstalled()
    {
        var reason = await ContainerRuntime.ProbeAsync("aspirechat-no-such-runtime");

        Assert.NotNull(reason);
        Assert.Contains("'aspirechat-no-such-runtime' is not installed", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARuntimeWhoseInfoFailsIsReportedWithItsExitCode()
    {
        // /bin/false stands for a runtime whose daemon is down: 'info' exits with 1.
        var reason = await ContainerRuntime.ProbeAsync("false");

        Assert.NotNull(reason);
        Assert.Contains("'false info' exited with 1", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARuntimeWhoseInfoSucceedsIsAvailable() => Assert.Null(await ContainerRuntime.ProbeAsync("true"));
}
