using System.Globalization;
using AspireChat.Bench.Processes;

namespace AspireChat.Tests.Integration.Bench;

/// <summary>The pinned method's processes run where it puts them (core 0 exists on every machine).</summary>
public sealed class CpuPinningTests
{
    [Fact]
    public async Task AProcessStartedOnACoreRunsOnlyThere()
    {
        await using var process = ManagedProcess.Start("sleeper", "sleep", ["30"], new Dictionary<string, string?>(), cores: [0]);
        // taskset sets the mask, then becomes the program: read it once the program runs.
        for (var attempt = 0; File.ReadAllText($"/proc/{process.Id}/comm").Trim() != "sleep" && attempt < 100; attempt++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Equal("sleep", File.ReadAllText($"/proc/{process.Id}/comm").Trim());
        Assert.Equal([0], CpuAffinity.Allowed(process.Id));
    }

    [Fact]
    public async Task EveryThreadOfARunningProcessIsMovedToTheCore()
    {
        // redis-server runs background threads beside its main one: all of them must move, not only the first.
        await using var redis = ManagedProcess.Start(
            "redis", "redis-server", ["--port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], new Dictionary<string, string?>());
        var threads = Directory.EnumerateDirectories($"/proc/{redis.Id}/task").ToArray();
        for (var attempt = 0; threads.Length < 2 && attempt < 50; attempt++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            threads = Directory.EnumerateDirectories($"/proc/{redis.Id}/task").ToArray();
        }

        CpuAffinity.Pin(redis.Id, [0]);

        Assert.True(threads.Length > 1, "redis-server started no background thread to check.");
        Assert.All(Directory.EnumerateDirectories($"/proc/{redis.Id}/task"), task =>
        {
            var status = File.ReadLines(Path.Combine(task, "status")).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            Assert.Equal([0], CpuAffinity.ParseList(status["Cpus_allowed_list:".Length..]));
        });
    }
}
