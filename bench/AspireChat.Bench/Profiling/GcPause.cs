namespace AspireChat.Bench.Profiling;

/// <summary>
/// One garbage collection, as the runtime's GC events describe it: when it paused the process (ms from the trace's
/// start), for how long (from suspending the threads to restarting them), how much of that was the suspension, what
/// it kept (promoted) and the heap before and after it.
/// </summary>
internal sealed record GcPause(
    int Number,
    int Generation,
    string Reason,
    double StartMs,
    double PauseMs,
    double SuspendMs,
    double PromotedMB,
    double HeapBeforeMB,
    double HeapAfterMB);
