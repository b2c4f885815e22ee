using AspireChat.Bench.Profiling;
using Microsoft.Diagnostics.NETCore.Client;

namespace AspireChat.Tests.Unit.Bench;

public sealed class GcPauseTests
{
    [Fact]
    public async Task ACollectionInTheWindowIsRecordedWithItsGenerationReasonAndPause()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gc-test-{Guid.NewGuid():N}.nettrace");
        try
        {
            // This test process records itself: the same diagnostics port bench/profile.sh opens on ChatApi.
            await GcPauseRecorder.RecordAsync(Environment.ProcessId, async token =>
            {
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                await Task.Delay(200, token);
            }, path, TestContext.Current.CancellationToken);

            var (pauses, windowMs) = GcPauseRecorder.Read(path);

            // Other tests run in this process and may collect too, so look for these two among what was recorded. The
            // collector may take an induced gen0 collection up to gen1 when gen1's budget is spent, so either counts.
            Assert.Contains(pauses, p => p is { Generation: 0 or 1, Reason: "Induced" });
            var full = Assert.Single(pauses, p => p is { Generation: 2, Reason: "InducedCompacting" });
            Assert.True(full.PauseMs > 0, $"pause {full.PauseMs} ms");
            Assert.True(full.HeapAfterMB > 0, $"heap after {full.HeapAfterMB} MB");
            Assert.InRange(full.StartMs, 0, windowMs);
            Assert.Equal(pauses.OrderBy(p => p.Number).Select(p => p.Number), pauses.Select(p => p.Number));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AMissingTraceIsAClearError()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gc-missing-{Guid.NewGuid():N}.nettrace");

        var error = Assert.Throws<FileNotFoundException>(() => GcPauseRecorder.Read(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProcessWithoutADiagnosticsPortIsAClearErrorAndWritesNoTrace()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gc-none-{Guid.NewGuid():N}.nettrace");

        // PID 1 is this machine's init, not a .NET process: it has no diagnostics port to open.
        await Assert.ThrowsAsync<ServerNotAvailableException>(() =>
            GcPauseRecorder.RecordAsync(1, TimeSpan.FromSeconds(1), path, TestContext.Current.CancellationToken));

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void TheSummarySaysWhatShareOfTheWindowWasPausedAndWhichPausesWereLong()
    {
        GcPause[] pauses =
        [
            new(1, 0, "AllocSmall", 100, 10, 0.1, 5, 140, 20),
            new(2, 0, "AllocSmall", 900, 30, 0.2, 15, 150, 35),
            new(3, 1, "AllocSmall", 1500, 60, 0.3, 40, 160, 60),
            new(4, 2, "AllocSmall", 1800, 100, 0.4, 90, 200, 90),
        ];

        var summary = new GcPauseSummary(2000, pauses);

        Assert.Equal(200, summary.PausedMs);
        Assert.Equal(0.1, summary.PausedShare, 6);
        Assert.Equal(1.0, summary.SuspendMs, 6);
        Assert.Equal([2, 3, 4], summary.LongPauses.Select(p => p.Number));
        Assert.Equal(
            [new GenerationPauses(0, 2, 20, 30, 10), new GenerationPauses(1, 1, 60, 60, 40), new GenerationPauses(2, 1, 100, 100, 90)],
            summary.ByGeneration);
        var lines = summary.Lines().ToList();
        Assert.Equal("4 collections in 2.0 s (2.0 a second): paused 200 ms, 10.0 % of the window; suspending the threads took 1.0 ms of it", lines[0]);
        Assert.Equal("  gen0: 2, pause mean 20.0 ms, longest 30.0 ms; promoted 10.0 MB on average", lines[1]);
        Assert.Equal("  pauses of 25 ms or more: 3 of 4, 9.5 % of the window; longest 100.0 ms", lines[4]);
        Assert.Equal("  heap after a collection 20–90 MB; before one at most 200 MB", lines[5]);
    }

    [Fact]
    public void AWindowWithoutCollectionsSaysSo()
    {
        var summary = new GcPauseSummary(15_000, []);

        Assert.Equal(0, summary.PausedShare);
        Assert.Equal(["no collections in 15.0 s"], summary.Lines());
    }
}
