using AspireChat.Bench.Profiling;

namespace AspireChat.Bench.Verbs;

/// <summary>
/// <c>gc</c>: what the collector cost a running process over a window (bench/profile.sh's GC window):
/// <c>--pid N [--duration 15s] [--out gc.nettrace]</c> records it, <c>--trace gc.nettrace</c> reads a recorded one again.
/// </summary>
internal static class GcVerb
{
    public static async Task<int> RunAsync(Arguments arguments, CancellationToken cancellationToken)
    {
        var trace = arguments.Text("trace", "");
        if (trace.Length == 0)
        {
            var pid = arguments.Int("pid", 0);
            if (pid <= 0)
            {
                Console.Error.WriteLine("gc needs --pid N (a running .NET process) or --trace file.nettrace.");
                return 2;
            }

            trace = Path.GetFullPath(arguments.Text("out", $"gc-{pid}.nettrace"));
            await GcPauseRecorder.RecordAsync(pid, arguments.Duration("duration", TimeSpan.FromSeconds(15)), trace, cancellationToken);
        }

        var (pauses, windowMs) = GcPauseRecorder.Read(trace);
        foreach (var line in new GcPauseSummary(windowMs, pauses).Lines())
        {
            Console.WriteLine(line);
        }

        return 0;
    }
}
