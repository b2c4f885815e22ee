using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Analysis;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace AspireChat.Bench.Profiling;

/// <summary>
/// Records a running .NET process's collections through its diagnostics port and reads them back. The session asks
/// only for the runtime's GC keyword at Informational (each collection's start, end, suspension and heap statistics,
/// no stacks and no allocation sampling), so the process being measured barely notices it. TraceEvent's GC analysis
/// pairs the events into one <see cref="GcPause"/> per collection.
/// </summary>
internal static class GcPauseRecorder
{
    /// <summary>Writes <paramref name="window"/> of process <paramref name="pid"/>'s GC events to <paramref name="path"/> (a .nettrace file).</summary>
    public static Task RecordAsync(int pid, TimeSpan window, string path, CancellationToken cancellationToken) =>
        RecordAsync(pid, token => Task.Delay(window, token), path, cancellationToken);

    /// <summary>Writes process <paramref name="pid"/>'s GC events to <paramref name="path"/> while <paramref name="during"/> runs; it starts once the session has.</summary>
    public static async Task RecordAsync(int pid, Func<CancellationToken, Task> during, string path, CancellationToken cancellationToken)
    {
        var client = new DiagnosticsClient(pid);
        var gc = new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Informational, (long)ClrTraceEventParser.Keywords.GC);
        // No rundown: it names methods for stacks, and these events carry none.
        using var session = await client.StartEventPipeSessionAsync([gc], requestRundown: false, circularBufferMB: 64, cancellationToken);
        await using var file = File.Create(path);
        var copying = session.EventStream.CopyToAsync(file, cancellationToken);
        await during(cancellationToken);
        await session.StopAsync(cancellationToken);
        await copying;
    }

    /// <summary>The collections in a .nettrace file, in order, and how long the trace lasted (ms).</summary>
    public static (IReadOnlyList<GcPause> Pauses, double WindowMs) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No trace at {path}.", path);
        }

        using var source = new EventPipeEventSource(path);
        source.NeedLoadedDotNetRuntimes();
        var pauses = new List<GcPause>();
        source.AddCallbackOnProcessStart(process => process.AddCallbackOnDotNetRuntimeLoad(runtime => runtime.GCEnd += (_, gc) =>
            pauses.Add(new GcPause(gc.Number, gc.Generation, gc.Reason.ToString(), gc.PauseStartRelativeMSec, gc.PauseDurationMSec,
                gc.SuspendDurationMSec, gc.PromotedMB, gc.HeapSizeBeforeMB, gc.HeapSizeAfterMB))));
        source.Process();
        return (pauses, source.SessionEndTimeRelativeMSec);
    }
}
