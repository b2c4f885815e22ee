using System.Text;
using AspireChat.ChatApi.Redis;
using AspireChat.MockOpenAI;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Fixtures.Otlp;
using AspireChat.Tests.Integration.Redis;

namespace AspireChat.Tests.Contract;

/// <summary>
/// Issue 20's trace budget, through the real pipeline (ChatApi as a process with Aspire's environment, always_on
/// sampler included, a real redis-server, the mock OpenAI model, an OTLP receiver): a long reply's trace is a handful
/// of spans, its storage summed up on the reply span; <c>Telemetry:PerCommandSpans</c> brings back a span per command.
/// </summary>
public sealed class ReplyTraceBudgetContractTests
{
    private const int Tokens = 500;
    private const int SpanBudget = 15;
    private const string RedisScope = TraceAssert.RedisScope;
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(40);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AReplyOf500TokensIsAtMost15SpansWithItsStorageSummedUpOnTheReplySpan()
    {
        var run = await ReplyAsync(perCommandSpans: false);

        Assert.True(run.Trace.Count <= SpanBudget, $"{run.Trace.Count} spans, more than {SpanBudget}:{Environment.NewLine}{TraceAssert.Describe(run.Trace)}");
        TraceAssert.Connected(run.Trace, run.Browser.SpanId);
        // What a person reads: the model call and its request, the socket delivery, and the turn's own Redis commands
        // (the lease, the history read, the save), all under the reply.
        Assert.Single(run.Trace, s => s.Name == $"chat {ContractApp.ModelName}" && s.ParentSpanId == run.Reply.SpanId);
        Assert.Single(run.Trace, s => s.Name == "ws send" && s.ParentSpanId == run.Reply.SpanId);
        var commands = run.Trace.Where(s => s.ScopeName == RedisScope).ToList();
        Assert.True(commands.Count >= 3, $"Expected the lease, history and save commands under the reply:{Environment.NewLine}{TraceAssert.Describe(run.Trace)}");
        Assert.All(commands, c => Assert.Equal(run.Reply.SpanId, c.ParentSpanId));

        // The storage, summed up: every frame of the stream, each frame's JSON and its newline, in fewer appends than
        // frames or as many; the slowest one took some time, within the reply; Redis never failed.
        Assert.Equal((long)run.Stream.Count, run.Reply.Attribute("aspirechat.reply.store.frames"));
        Assert.Equal(run.Stream.Sum(frame => (long)Encoding.UTF8.GetByteCount(frame) + 1), run.Reply.Attribute("aspirechat.reply.store.bytes"));
        var appends = Assert.IsType<long>(run.Reply.Attribute("aspirechat.reply.store.appends"));
        Assert.InRange(appends, 1, run.Stream.Count);
        Assert.InRange(Assert.IsType<double>(run.Reply.Attribute("aspirechat.reply.store.slowest_append")), double.Epsilon, run.Reply.Duration.TotalSeconds);
        Assert.Equal(0L, run.Reply.Attribute("aspirechat.reply.store.failed_appends"));
    }

    [Fact]
    public async Task WithPerCommandSpansEveryStoredBatchAndLeaseRenewalIsASpanAgain()
    {
        var run = await ReplyAsync(perCommandSpans: true);

        // Each stored batch is one store script, a span under the reply; so are the take and release of the lease, the
        // history read and the save, and the producer's lease and renewals.
        var appends = Assert.IsType<long>(run.Reply.Attribute("aspirechat.reply.store.appends"));
        var commands = run.Trace.Where(s => s.ScopeName == RedisScope).ToList();
        Assert.True(commands.Count >= appends + 3, $"{commands.Count} Redis spans for {appends} stored batches:{Environment.NewLine}{TraceAssert.Describe(run.Trace)}");
        Assert.True(run.Trace.Count > SpanBudget, $"Only {run.Trace.Count} spans with every command a span.");
        Assert.All(commands, c => Assert.True(TraceAssert.IsDescendant(run.Trace, c, run.Reply.SpanId), $"{c} is not under the reply."));
        Assert.Equal((long)run.Stream.Count, run.Reply.Attribute("aspirechat.reply.store.frames"));
    }

    /// <summary>
    /// One reply of <see cref="Tokens"/> tokens, paced, with a lease short enough to be renewed several times while it
    /// streams; returns its trace once every Redis command of it has been made a span, and its stream's frames.
    /// </summary>
    private static async Task<Run> ReplyAsync(bool perCommandSpans)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var otlp = await OtlpReceiver.StartAsync(Token);
        await using var model = await MockOpenAIServer.StartAsync(
            new MockOpenAIOptions { TimeToFirstToken = TimeSpan.FromMilliseconds(50), TokenInterval = TimeSpan.FromMilliseconds(5), TokenCount = Tokens },
            Token);
        await using var chatApi = await ServiceProcess.StartAsync(
            "AspireChat.ChatApi",
            AspireEnvironment.Merge(
                AspireEnvironment.Otlp(otlp, "grpc", "chatapi"),
                AspireEnvironment.Cache(redis.ConnectionString),
                new()
                {
                    ["Model__Provider"] = "openai",
                    ["Model__Endpoint"] = model.BaseAddress.ToString(),
                    ["Model__ApiKey"] = "contract-test-key",
                    ["Model__Name"] = ContractApp.ModelName,
                    // Renewed every second: a few renewals of both leases during the 2.5 s reply, with room for a
                    // renewal that a busy machine delays (a 1.5 s lease was lost under the full suite's load).
                    ["Replies__Lease"] = "00:00:03",
                    ["Telemetry__PerCommandSpans"] = perCommandSpans ? "true" : "false",
                }),
            readyPath: "/health",
            cancellationToken: Token);

        var browser = BrowserTrace.New();
        var client = new WebSocketChat(chatApi.BaseAddress);
        var reply = await client.SendAsync("Tell me a long story.", browser.Traceparent, Token);
        Assert.True(reply.FinishReason == "stop", $"The reply ended with {reply.FinishReason}: {string.Join(' ', reply.Frames.Where(f => (string?)f["type"] != "chunk").Select(f => f.ToJsonString()))}");
        Assert.Equal(Tokens, reply.ChunkCount);

        // The instrumentation makes spans of the profiled commands every 10 s, all of them at once. Every command under
        // the reply was sent before its end frame; a second message's commands come after, so once a span of them has
        // arrived, so have all of the reply's.
        var later = BrowserTrace.New();
        await new WebSocketChat(chatApi.BaseAddress).SendAsync("And another.", later.Traceparent, Token);
        var spans = await otlp.WaitForSpansAsync(
            s => s.Any(span => span.TraceId == browser.TraceId && span.Name == "reply") && s.Any(span => span.TraceId == later.TraceId && span.ScopeName == RedisScope),
            ExportTimeout,
            Token);
        await Task.Delay(TimeSpan.FromSeconds(1.5), Token);
        var trace = otlp.Spans.Where(s => s.TraceId == browser.TraceId).ToList();
        var replySpan = trace.SingleOrDefault(s => s.Name == "reply")
            ?? throw new InvalidOperationException($"No reply span arrived.{Environment.NewLine}{chatApi.Output}");
        Assert.True(spans.Any(s => s.TraceId == later.TraceId && s.ScopeName == RedisScope), $"The second message's Redis spans never arrived.{Environment.NewLine}{chatApi.Output}");

        await using var connection = TestRedis.Connect(redis.ConnectionString);
        var entries = await connection.GetDatabase().StreamRangeAsync(RedisKeys.ReplyStream(reply.ConversationId, reply.MessageId));
        var frames = entries.Select(entry => (string)entry["frame"]!).ToList();
        Assert.Equal(reply.Frames.Count, frames.Count);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{trace.Count} spans ({trace.Count(s => s.ScopeName == RedisScope)} Redis), {frames.Count} frames in {replySpan.Attribute("aspirechat.reply.store.appends")} appends:{Environment.NewLine}{TraceAssert.Describe(trace)}");
        return new Run(browser, trace, replySpan, frames);
    }

    private sealed record Run(BrowserTrace Browser, IReadOnlyList<ReceivedSpan> Trace, ReceivedSpan Reply, IReadOnlyList<string> Stream);
}
