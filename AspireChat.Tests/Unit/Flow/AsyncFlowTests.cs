using AspireChat.ChatApi.Flow;
using Microsoft.Extensions.Logging;

namespace AspireChat.Tests.Unit.Flow;

public sealed class AsyncFlowTests
{
    [Fact]
    public async Task TheActionReturnedByPostPicksTheNextNode()
    {
        var start = Step("start", action: "left");
        var left = Step("left");
        var right = Step("right");
        start.On("left", left);
        start.On("right", right);
        var shared = new List<string>();

        await new AsyncFlow<List<string>>(start).RunAsync(shared, TestContext.Current.CancellationToken);

        Assert.Equal(["start", "left"], shared);
    }

    [Fact]
    public async Task ANullActionFollowsTheDefaultSuccessor()
    {
        var first = Step("first");
        first.Then(Step("second")).Then(Step("third"));
        var shared = new List<string>();

        var action = await new AsyncFlow<List<string>>(first).RunAsync(shared, TestContext.Current.CancellationToken);

        Assert.Equal(["first", "second", "third"], shared);
        Assert.Null(action);
    }

    [Fact]
    public async Task AnActionWithNoSuccessorEndsTheFlowAndSaysSo()
    {
        var start = Step("start", action: "nowhere");
        start.On("somewhere", Step("never"));
        var logger = new ListLogger();
        var shared = new List<string>();

        var action = await new AsyncFlow<List<string>>(start, logger).RunAsync(shared, TestContext.Current.CancellationToken);

        Assert.Equal(["start"], shared);
        Assert.Equal("nowhere", action);
        var line = Assert.Single(logger.Lines);
        Assert.Contains("'nowhere'", line);
        Assert.Contains("somewhere", line);
    }

    [Fact]
    public async Task AFlowIsANodeSoFlowsNestAndTheInnerFlowsLastActionBranchesTheOuter()
    {
        var innerStart = Step("inner-1");
        innerStart.Then(Step("inner-2", action: "done"));
        var inner = new AsyncFlow<List<string>>(innerStart);
        var outerStart = Step("outer-1");
        outerStart.Then(inner).On("done", Step("outer-after-inner"));
        var shared = new List<string>();

        await new AsyncFlow<List<string>>(outerStart).RunAsync(shared, TestContext.Current.CancellationToken);

        Assert.Equal(["outer-1", "inner-1", "inner-2", "outer-after-inner"], shared);
    }

    [Fact]
    public async Task ALoopRunsUntilANodeChoosesToLeaveIt()
    {
        var counter = new AsyncNodeTests.LambdaNode(post: (shared, _, _) =>
        {
            shared.Add("tick");
            return shared.Count < 3 ? "again" : "stop";
        });
        counter.On("again", counter);

        var shared = new List<string>();
        await new AsyncFlow<List<string>>(counter).RunAsync(shared, TestContext.Current.CancellationToken);

        Assert.Equal(3, shared.Count);
    }

    [Fact]
    public async Task ACancelledFlowStartsNoFurtherNode()
    {
        using var cts = new CancellationTokenSource();
        var first = new AsyncNodeTests.LambdaNode(post: (shared, _, _) => { shared.Add("first"); cts.Cancel(); return null; });
        first.Then(Step("second"));
        var shared = new List<string>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new AsyncFlow<List<string>>(first).RunAsync(shared, cts.Token));

        Assert.Equal(["first"], shared);
    }

    private static AsyncNodeTests.LambdaNode Step(string name, string? action = null) =>
        new(post: (shared, _, _) => { shared.Add(name); return action; });

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
