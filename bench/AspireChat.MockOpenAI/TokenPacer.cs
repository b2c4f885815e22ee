using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace AspireChat.MockOpenAI;

/// <summary>
/// One thread that wakes every stream when its next token is due. A timer per token (<c>Task.Delay</c>) cost the
/// mock a timer, a task and a thread-pool hop per token per stream; here the thread sleeps until the earliest
/// deadline, then resumes every stream that is due, in deadline order, on itself: the stream writes its token and
/// flushes before the next one is resumed. With Kestrel's inline scheduling the flush is the socket's send.
/// </summary>
internal sealed class TokenPacer : IDisposable
{
    private readonly PriorityQueue<(PacedWait Wait, short Version), long> _queue = new();
    private readonly List<(PacedWait Wait, short Version)> _due = [];
    private readonly object _lock = new();
    private readonly Thread _thread;
    private readonly TimeProvider _clock;
    private long _earliest = long.MaxValue;
    private bool _stopped;

    /// <param name="clock">Where timestamps come from; tests pass a clock that lags to stand in for a preempted thread.</param>
    public TokenPacer(TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _thread = new Thread(Run) { IsBackground = true, Name = "Mock token pacer" };
        _thread.Start();
    }

    /// <summary>A wait that one stream reuses for every token: nothing is allocated per token.</summary>
    public PacedWait CreateWait() => new(this);

    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            Monitor.PulseAll(_lock);
        }

        // A wait's continuation runs on the pacer's thread; if it is the one disposing, joining would wait for itself.
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    internal void Enqueue(PacedWait wait, short version, long dueTimestamp)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            _queue.Enqueue((wait, version), dueTimestamp);
            if (dueTimestamp < _earliest)
            {
                // The thread sleeps until a later deadline: wake it to sleep less.
                _earliest = dueTimestamp;
                Monitor.Pulse(_lock);
            }
        }
    }

    private void Run()
    {
        while (true)
        {
            lock (_lock)
            {
                // One reading of the clock sizes both what is due and the sleep. Read twice, a deadline could pass in
                // between (the thread preempted on a busy core): the sleep came out negative, and -1 ms is "forever".
                var now = _clock.GetTimestamp();
                while (!_stopped && !TakeDue(now))
                {
                    // Every deadline left is after now: the sleep is at least 1 ms, or until an earlier one arrives.
                    _earliest = _queue.TryPeek(out _, out var next) ? next : long.MaxValue;
                    Monitor.Wait(_lock, _earliest == long.MaxValue
                        ? Timeout.Infinite
                        : (int)Math.Ceiling(_clock.GetElapsedTime(now, _earliest).TotalMilliseconds));
                    now = _clock.GetTimestamp();
                }

                if (_stopped)
                {
                    return;
                }
            }

            // Outside the lock: each stream's continuation runs here and enqueues its next token.
            foreach (var (wait, version) in _due)
            {
                wait.TryComplete(version, null);
            }

            _due.Clear();
        }
    }

    internal long Now => _clock.GetTimestamp();

    private bool TakeDue(long now)
    {
        while (_queue.TryPeek(out var entry, out var due) && due <= now)
        {
            _queue.Dequeue();
            _due.Add(entry);
        }

        return _due.Count > 0;
    }
}

/// <summary>One stream's wait for its next token, awaited as a <see cref="ValueTask"/> and completed by <see cref="TokenPacer"/> or by cancellation.</summary>
internal sealed class PacedWait(TokenPacer pacer) : IValueTaskSource
{
    // Continuations run on the pacer's thread (or the cancelling thread): no thread-pool hop per token.
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _cancellation;
    private int _pending;

    /// <summary>Completes when <paramref name="dueTimestamp"/> (a <see cref="Stopwatch"/> timestamp) has passed, or throws when cancelled first.</summary>
    public ValueTask UntilAsync(long dueTimestamp, CancellationToken cancellationToken)
    {
        if (pacer.Now >= dueTimestamp)
        {
            return ValueTask.CompletedTask;
        }

        cancellationToken.ThrowIfCancellationRequested();
        _core.Reset();
        var version = _core.Version;
        _pending = 1;
        _cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
        {
            var (wait, version) = ((PacedWait, short))state!;
            wait.TryComplete(version, new OperationCanceledException(token));
        }, (this, version));
        pacer.Enqueue(this, version, dueTimestamp);
        return new ValueTask(this, version);
    }

    internal void TryComplete(short version, Exception? error)
    {
        // The pacer and a cancellation may both try: the first one completes the wait, the other finds it done.
        if (version != _core.Version || Interlocked.Exchange(ref _pending, 0) == 0)
        {
            return;
        }

        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        // Unregistering from inside the cancellation's own callback would wait for itself: Unregister does not.
        _cancellation.Unregister();
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
