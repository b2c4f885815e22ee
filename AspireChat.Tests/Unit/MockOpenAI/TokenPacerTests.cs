using System.Diagnostics;
using AspireChat.MockOpenAI;

namespace AspireChat.Tests.Unit.MockOpenAI;

public sealed class TokenPacerTests
{
    private const string PacerThreadName = "Mock token pacer";

    [Fact]
    public async Task EveryWaitCompletesWhenThePacersThreadIsPreemptedAfterReadingTheClock()
    {
        // On a busy core the pacer's thread can lose the CPU between reading the clock and going to sleep. Its
        // next deadline may then already have passed when it computes how long to sleep: that must not become
        // "sleep forever" (-1 ms), which stalls every stream of the mock.
        using var pacer = new TokenPacer(new LaggingClock(PacerThreadName, TimeSpan.FromMilliseconds(1.5)));
        var start = pacer.Now;
        // Deadlines 2.1 ms apart: longer than one of the pacer's turns, so it keeps finding none due and sleeping.
        var waits = Enumerable.Range(0, 200)
            .Select(i => pacer.CreateWait().UntilAsync(start + Ticks(TimeSpan.FromMilliseconds(2 + (i * 2.1))), TestContext.Current.CancellationToken).AsTask())
            .ToList();

        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.All(waits, wait => Assert.True(wait.IsCompletedSuccessfully));
    }

    private static long Ticks(TimeSpan offset) => (long)(offset.TotalSeconds * Stopwatch.Frequency);

    /// <summary>A clock that, on one thread only, hands back each reading late, as if the thread were preempted right after reading it.</summary>
    private sealed class LaggingClock(string threadName, TimeSpan lag) : TimeProvider
    {
        public override long GetTimestamp()
        {
            var now = base.GetTimestamp();
            if (Thread.CurrentThread.Name == threadName)
            {
                var until = now + Ticks(lag);
                while (base.GetTimestamp() < until)
                {
                    Thread.SpinWait(20);
                }
            }

            return now;
        }
    }
}
