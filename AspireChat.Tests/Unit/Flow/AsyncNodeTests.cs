using AspireChat.ChatApi.Flow;

namespace AspireChat.Tests.Unit.Flow;

public sealed class AsyncNodeTests
{
    [Fact]
    public async Task RunPassesPrepToExecAndExecToPostThenReturnsPostsAction()
    {
        var log = new List<string>();
        var node = new LambdaNode(
            prep: shared => { log.Add($"prep {shared.Count}"); return 2; },
            exec: (prep, _) => { log.Add($"exec {prep}"); return prep * 10; },
            post: (shared, prep, exec) => { log.Add($"post {prep} {exec}"); shared.Add("written"); return "next"; });
        var shared = new List<string>();

        var action = await node.RunAsync(shared, TestContext.Current.CancellationToken);

        Assert.Equal("next", action);
        Assert.Equal(["prep 0", "exec 2", "post 2 20"], log);
        Assert.Equal(["written"], shared);
    }

    [Fact]
    public async Task ExecIsRetriedUntilItSucceedsWithinMaxRetries()
    {
        var attempts = 0;
        var node = new LambdaNode(exec: (prep, _) => ++attempts < 3 ? throw new InvalidOperationException("flaky") : attempts, maxRetries: 3);

        await node.RunAsync([], TestContext.Current.CancellationToken);

        Assert.Equal(3, attempts);
        Assert.Equal(3, node.LastExec);
    }

    [Fact]
    public async Task FallbackGetsTheLastExceptionAfterEveryTryFailed()
    {
        var attempts = 0;
        Exception? seen = null;
        var node = new LambdaNode(
            exec: (_, _) => throw new InvalidOperationException($"try {++attempts}"),
            fallback: exception => { seen = exception; return -1; },
            maxRetries: 2);

        await node.RunAsync([], TestContext.Current.CancellationToken);

        Assert.Equal(2, attempts);
        Assert.Equal("try 2", seen?.Message);
        Assert.Equal(-1, node.LastExec);
    }

    [Fact]
    public async Task DefaultFallbackRethrowsTheExecException()
    {
        var node = new LambdaNode(exec: (_, _) => throw new FormatException("bad"), maxRetries: 1);

        var thrown = await Assert.ThrowsAsync<FormatException>(() => node.RunAsync([], TestContext.Current.CancellationToken));

        Assert.Equal("bad", thrown.Message);
    }

    [Fact]
    public async Task TheNodeWaitsBetweenTries()
    {
        var times = new List<DateTimeOffset>();
        var node = new LambdaNode(exec: (_, _) => { times.Add(DateTimeOffset.UtcNow); return times.Count < 2 ? throw new InvalidOperationException() : 0; }, maxRetries: 2, wait: TimeSpan.FromMilliseconds(200));

        await node.RunAsync([], TestContext.Current.CancellationToken);

        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(190), $"Expected a pause of 200 ms between tries, saw {(times[1] - times[0]).TotalMilliseconds} ms.");
    }

    [Fact]
    public async Task WithABackoffEachPauseIsTheLastTimesTheBackoff()
    {
        var clock = new PauseRecordingTimeProvider();
        var attempts = 0;
        var node = new LambdaNode(exec: (_, _) => ++attempts < 4 ? throw new InvalidOperationException() : attempts, maxRetries: 4, wait: TimeSpan.FromMilliseconds(10))
        {
            Backoff = 2,
            TimeProvider = clock,
        };

        await node.RunAsync([], TestContext.Current.CancellationToken);

        Assert.Equal([TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(40)], clock.Pauses);
        Assert.Equal(4, node.LastExec);
    }

    [Fact]
    public async Task EachFailedTryIsReportedWithItsNumberBeforeTheFallback()
    {
        var failures = new List<(int Attempt, string Message)>();
        var node = new LambdaNode(
            exec: (_, _) => throw new InvalidOperationException("down"),
            fallback: _ => -1,
            failed: (exception, attempt) => failures.Add((attempt, exception.Message)),
            maxRetries: 3);

        await node.RunAsync([], TestContext.Current.CancellationToken);

        Assert.Equal([(1, "down"), (2, "down"), (3, "down")], failures);
    }

    [Fact]
    public async Task CancellationStopsRetryingAndReachesEveryStep()
    {
        using var cts = new CancellationTokenSource();
        var tokens = new List<CancellationToken>();
        var attempts = 0;
        var node = new LambdaNode(
            prep: _ => 0,
            exec: (_, token) => { tokens.Add(token); attempts++; cts.Cancel(); token.ThrowIfCancellationRequested(); return 0; },
            maxRetries: 5);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => node.RunAsync([], cts.Token));

        Assert.Equal(1, attempts);
        Assert.All(tokens, token => Assert.Equal(cts.Token, token));
    }

    [Fact]
    public void ANodeTriesAtLeastOnce() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LambdaNode(maxRetries: 0));

    /// <summary>The system clock, noting each pause a node asks it for.</summary>
    private sealed class PauseRecordingTimeProvider : TimeProvider
    {
        public List<TimeSpan> Pauses { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Pauses)
            {
                Pauses.Add(dueTime);
            }

            return System.CreateTimer(callback, state, dueTime, period);
        }
    }

    /// <summary>A node whose steps are lambdas; the shared store is a list of strings.</summary>
    internal sealed class LambdaNode(
        Func<List<string>, int>? prep = null,
        Func<int, CancellationToken, int>? exec = null,
        Func<List<string>, int, int, string?>? post = null,
        Func<Exception, int>? fallback = null,
        Action<Exception, int>? failed = null,
        int maxRetries = 1,
        TimeSpan wait = default) : AsyncNode<List<string>, int, int>(maxRetries, wait)
    {
        public int? LastExec { get; private set; }

        protected override Task<int> PrepAsync(List<string> shared, CancellationToken cancellationToken) => Task.FromResult(prep?.Invoke(shared) ?? 0);

        protected override Task<int> ExecAsync(int prepResult, CancellationToken cancellationToken) => Task.FromResult(exec?.Invoke(prepResult, cancellationToken) ?? 0);

        protected override void OnExecFailed(int prepResult, Exception exception, int attempt) => failed?.Invoke(exception, attempt);

        protected override Task<int> ExecFallbackAsync(int prepResult, Exception exception, CancellationToken cancellationToken) =>
            fallback is null ? base.ExecFallbackAsync(prepResult, exception, cancellationToken) : Task.FromResult(fallback(exception));

        protected override Task<string?> PostAsync(List<string> shared, int prepResult, int execResult, CancellationToken cancellationToken)
        {
            LastExec = execResult;
            return Task.FromResult(post?.Invoke(shared, prepResult, execResult));
        }
    }
}
