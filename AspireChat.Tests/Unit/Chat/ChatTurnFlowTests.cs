using System.ClientModel;
using System.ClientModel.Primitives;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.Tests.Fakes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace AspireChat.Tests.Unit.Chat;

public sealed class ChatTurnFlowTests
{
    [Fact]
    public async Task EachChunkReachesTheClientBeforeTheModelProducesTheNext()
    {
        await using var chat = new ChatHarness();
        var (_, observer) = chat.Send("Hi");

        var start = await observer.NextAsync<StartFrame>();
        chat.Model.Say("Hel");
        var first = await observer.NextAsync<ChunkFrame>();
        chat.Model.Say("lo");
        var second = await observer.NextAsync<ChunkFrame>();
        chat.Model.Finish();
        chat.Model.End();
        var end = await observer.NextAsync<EndFrame>();

        Assert.Equal(("Hel", 1L), (first.Content, first.Seq));
        Assert.Equal(("lo", 2L), (second.Content, second.Seq));
        Assert.Equal(start.MessageId, end.MessageId);
        Assert.Equal(FinishReasons.Stop, end.FinishReason);
        Assert.Equal(new TokenUsage(3, 2, 5), end.Usage);
    }

    [Fact]
    public async Task PostAppendsTheUserMessageAndTheWholeReplyToHistory()
    {
        await using var chat = new ChatHarness();
        chat.Model.Say("Hello", " there");
        chat.Model.End();
        var (_, observer) = chat.Send("Hi", id: "c-7");
        var frames = await observer.UntilEndAsync();
        var conversationId = Assert.IsType<StartFrame>(frames[0]).ConversationId;

        var conversation = await chat.Store.GetAsync(ChatHarness.Owner, conversationId, TestContext.Current.CancellationToken);

        Assert.NotNull(conversation);
        Assert.Equal("Hi", conversation.Title);
        Assert.Collection(conversation.Messages,
            user => Assert.Equal(("c-7", "user", "Hi"), (user.Id, user.Role, user.Content)),
            assistant => Assert.Equal(("assistant", "Hello there", "stop"), (assistant.Role, assistant.Content, assistant.FinishReason)));
    }

    [Fact]
    public async Task PrepSendsTheSystemPromptAndAsMuchRecentHistoryAsTheBudgetHolds()
    {
        await using var chat = new ChatHarness(chat: o => { o.SystemPrompt = "SYSTEM"; o.HistoryBudgetCharacters = 1_000; });
        var conversation = await chat.Store.CreateAsync(ChatHarness.Owner, "t", TestContext.Current.CancellationToken);
        for (var i = 0; i < 10; i++)
        {
            await chat.Store.AppendTurnAsync(ChatHarness.Owner, conversation.Id,
                new ConversationMessage($"u{i}", "user", $"q{i}" + new string('.', 148), DateTimeOffset.UtcNow, ParentId: i == 0 ? null : $"a{i - 1}"),
                new ConversationMessage($"a{i}", "assistant", $"a{i}" + new string('.', 148), DateTimeOffset.UtcNow), TestContext.Current.CancellationToken);
        }

        chat.Model.End();
        await chat.Send("new question", conversation.Id).Observer.UntilEndAsync();

        var prompt = Assert.Single(chat.Model.Calls);
        Assert.Equal(ChatRole.System, prompt[0].Role);
        Assert.Equal("SYSTEM", prompt[0].Text);
        Assert.Equal("new question", prompt[^1].Text);
        var history = prompt.Skip(1).SkipLast(1).Select(m => m.Text[..2]).ToList();
        // 1,000 characters less the new message hold the last six messages of 150 characters.
        Assert.Equal(["q7", "a7", "q8", "a8", "q9", "a9"], history);
    }

    [Fact]
    public async Task AFailureBeforeTheFirstChunkIsRetriedWithoutAnyoneNoticing()
    {
        await using var chat = new ChatHarness(model: o => o.MaxAttempts = 3);
        chat.Model.FailBeforeStreaming.Enqueue(new ClientResultException("boom", new FakeResponse(503)));
        chat.Model.FailBeforeStreaming.Enqueue(new HttpRequestException("reset"));
        chat.Model.Say("ok");
        chat.Model.End();

        var frames = await chat.Send("Hi").Observer.UntilEndAsync();

        Assert.Equal(3, chat.Model.Calls.Count);
        Assert.Equal(["start", "chunk", "end"], frames.Select(Type));
        Assert.Equal("stop", ((EndFrame)frames[^1]).FinishReason);
    }

    [Fact]
    public async Task AModelThatKeepsFailingGetsAnErrorAndAnErrorEndAndTheUserMessageIsKept()
    {
        await using var chat = new ChatHarness(model: o => o.MaxAttempts = 2);
        chat.Model.FailBeforeStreaming.Enqueue(new ClientResultException("boom", new FakeResponse(429)));
        chat.Model.FailBeforeStreaming.Enqueue(new ClientResultException("boom", new FakeResponse(429)));

        var frames = await chat.Send("Hi").Observer.UntilEndAsync();

        Assert.Equal(["start", "error", "end"], frames.Select(Type));
        var error = (ErrorFrame)frames[1];
        Assert.Equal(ErrorCodes.ModelError, error.Code);
        Assert.Contains("429", error.Message);
        Assert.Equal(FinishReasons.Error, ((EndFrame)frames[2]).FinishReason);
        var saved = await chat.Store.GetAsync(ChatHarness.Owner, ((StartFrame)frames[0]).ConversationId, TestContext.Current.CancellationToken);
        Assert.Equal(["Hi", ""], saved!.Messages.Select(m => m.Content));
        Assert.Equal("error", saved.Messages[1].FinishReason);
    }

    [Fact]
    public async Task AStreamThatBreaksMidReplyKeepsThePartialReplyMarkedAndIsNotRetried()
    {
        await using var chat = new ChatHarness(model: o => o.MaxAttempts = 3);
        chat.Model.Say("Part", "ial");
        chat.Model.Fail(new IOException("connection reset"));

        var frames = await chat.Send("Hi").Observer.UntilEndAsync();

        Assert.Single(chat.Model.Calls);
        Assert.Equal(["start", "chunk", "chunk", "error", "end"], frames.Select(Type));
        var saved = await chat.Store.GetAsync(ChatHarness.Owner, ((StartFrame)frames[0]).ConversationId, TestContext.Current.CancellationToken);
        Assert.Equal(("Partial", "error"), (saved!.Messages[1].Content, saved.Messages[1].FinishReason));
    }

    [Fact]
    public async Task AModelThatGoesSilentTimesOut()
    {
        await using var chat = new ChatHarness(model: o => { o.MaxAttempts = 1; o.StreamIdleTimeout = TimeSpan.FromMilliseconds(300); });
        chat.Model.Say("Hel");

        var frames = await chat.Send("Hi").Observer.UntilEndAsync();

        Assert.Equal(["start", "chunk", "error", "end"], frames.Select(Type));
        Assert.Contains("sent nothing", ((ErrorFrame)frames[2]).Message);
        Assert.Equal(FinishReasons.Error, ((EndFrame)frames[3]).FinishReason);
    }

    [Fact]
    public async Task StopEndsTheReplyAndKeepsWhatWasStreamed()
    {
        await using var chat = new ChatHarness();
        var (reply, observer) = chat.Send("Hi");
        var start = await observer.NextAsync<StartFrame>();
        chat.Model.Say("Kept");
        await observer.NextAsync<ChunkFrame>();

        Assert.True(chat.Coordinator.Stop(ChatHarness.Owner, start.ConversationId));
        var end = await observer.NextAsync<EndFrame>();

        Assert.Equal(FinishReasons.Cancelled, end.FinishReason);
        var saved = await chat.Store.GetAsync(ChatHarness.Owner, start.ConversationId, TestContext.Current.CancellationToken);
        Assert.Equal(("Kept", "cancelled"), (saved!.Messages[1].Content, saved.Messages[1].FinishReason));
        Assert.Equal("Kept", reply.Text);
    }

    [Fact]
    public async Task AtShutdownAReplyThatOutlivesTheDrainTimeIsSavedAsCancelledAndNewMessagesAreRefused()
    {
        await using var chat = new ChatHarness(chat: o => o.ShutdownDrainTime = TimeSpan.FromMilliseconds(200));
        await chat.Coordinator.StartAsync(TestContext.Current.CancellationToken);
        var (_, observer) = chat.Send("Hi");
        var start = await observer.NextAsync<StartFrame>();
        chat.Model.Say("Half");
        await observer.NextAsync<ChunkFrame>();

        chat.Lifetime.StopApplication();
        var refused = await chat.Send("too late").Observer.NextAsync<ErrorFrame>();
        await chat.Coordinator.StopAsync(TestContext.Current.CancellationToken);
        var end = await observer.NextAsync<EndFrame>();

        Assert.Equal(ErrorCodes.ShuttingDown, refused.Code);
        Assert.Equal(FinishReasons.Cancelled, end.FinishReason);
        Assert.True(chat.Coordinator.Drained.IsCancellationRequested);
        var saved = await chat.Store.GetAsync(ChatHarness.Owner, start.ConversationId, TestContext.Current.CancellationToken);
        Assert.Equal(("Half", "cancelled"), (saved!.Messages[1].Content, saved.Messages[1].FinishReason));
    }

    [Fact]
    public async Task ASecondMessageWhileAReplyStreamsIsRejectedAsBusyAndNothingInterleaves()
    {
        await using var chat = new ChatHarness();
        var (_, first) = chat.Send("one");
        var start = await first.NextAsync<StartFrame>();

        var (_, second) = chat.Send("two", start.ConversationId);
        var busy = await second.NextAsync<ErrorFrame>();
        chat.Model.Say("done");
        chat.Model.End();
        await first.UntilEndAsync();

        Assert.Equal(ErrorCodes.ConversationBusy, busy.Code);
        Assert.Single(chat.Model.Calls);
        var saved = await chat.Store.GetAsync(ChatHarness.Owner, start.ConversationId, TestContext.Current.CancellationToken);
        Assert.Equal(["one", "done"], saved!.Messages.Select(m => m.Content));
    }

    [Fact]
    public async Task TheNextMessageSentTheMomentTheEndArrivesIsTaken()
    {
        await using var chat = new ChatHarness();
        var conversationId = (string?)null;
        for (var turn = 0; turn < 25; turn++)
        {
            chat.Model.Say($"reply {turn}");
            chat.Model.End();
            var frames = await chat.Send($"message {turn}", conversationId).Observer.UntilEndAsync();

            Assert.IsType<EndFrame>(frames[^1]);
            conversationId ??= ((EndFrame)frames[^1]).ConversationId;
        }
    }

    [Fact]
    public async Task AnotherOwnersConversationLooksExactlyLikeAMissingOne()
    {
        await using var chat = new ChatHarness();
        var mine = await chat.Store.CreateAsync("owner-b", "secret", TestContext.Current.CancellationToken);

        var foreign = await chat.Send("hi", mine.Id).Observer.NextAsync<ErrorFrame>();
        var missing = await chat.Send("hi", ConversationIds.New()).Observer.NextAsync<ErrorFrame>();

        Assert.Equal((ErrorCodes.NotFound, foreign.Message), (missing.Code, missing.Message));
        Assert.Empty(chat.Model.Calls);
        Assert.Empty((await chat.Store.GetAsync("owner-b", mine.Id, TestContext.Current.CancellationToken))!.Messages);
    }

    [Fact]
    public async Task AnotherOwnersBusyConversationAlsoLooksMissing()
    {
        await using var chat = new ChatHarness();
        var start = await chat.Send("one", owner: "owner-b").Observer.NextAsync<StartFrame>();

        var error = await chat.Send("two", start.ConversationId).Observer.NextAsync<ErrorFrame>();

        Assert.Equal(ErrorCodes.NotFound, error.Code);
        Assert.False(chat.Coordinator.Stop(ChatHarness.Owner, start.ConversationId));
        chat.Model.End();
    }

    [Fact]
    public async Task AStoreThatCannotBeReadRefusesTheMessageClearlyAndWritesNothing()
    {
        var store = new FailingConversationStore(new InMemoryConversationStore(Options.Create(new ConversationOptions()), TimeProvider.System)) { FailReads = true };
        await using var chat = new ChatHarness(store);

        var frames = await chat.Send("Hi").Observer.UntilEndAsync();

        var error = Assert.IsType<ErrorFrame>(Assert.Single(frames));
        Assert.Equal(ErrorCodes.StoreUnavailable, error.Code);
        Assert.Empty(chat.Model.Calls);
        Assert.Equal(0, store.WriteAttempts);
    }

    [Fact]
    public async Task AHistoryWriteThatFailsIsRetriedUntilItSucceeds()
    {
        var store = new FailingConversationStore(new InMemoryConversationStore(Options.Create(new ConversationOptions()), TimeProvider.System)) { FailingWrites = 2 };
        await using var chat = new ChatHarness(store, chat: o => o.HistoryWriteAttempts = 3);
        chat.Model.Say("saved");
        chat.Model.End();

        var frames = await chat.Send("Hi").Observer.UntilEndAsync();

        Assert.Equal(["start", "chunk", "end"], frames.Select(Type));
        Assert.Equal(3, store.WriteAttempts);
        var saved = await store.GetAsync(ChatHarness.Owner, ((StartFrame)frames[0]).ConversationId, TestContext.Current.CancellationToken);
        Assert.Equal("saved", saved!.Messages[1].Content);
    }

    [Fact]
    public async Task AHistoryWriteThatNeverSucceedsIsReportedToTheClient()
    {
        var store = new FailingConversationStore(new InMemoryConversationStore(Options.Create(new ConversationOptions()), TimeProvider.System)) { FailingWrites = 100 };
        await using var chat = new ChatHarness(store, chat: o => o.HistoryWriteAttempts = 3);
        chat.Model.Say("lost?");
        chat.Model.End();

        var frames = await chat.Send("Hi").Observer.UntilEndAsync();

        Assert.Equal(["start", "chunk", "error", "end"], frames.Select(Type));
        Assert.Equal(ErrorCodes.HistoryNotSaved, ((ErrorFrame)frames[2]).Code);
        Assert.Equal(3, store.WriteAttempts);
    }

    [Fact]
    public async Task AConversationThatVanishedBeforeTheSaveIsReportedNotSilentlyDropped()
    {
        await using var chat = new ChatHarness();
        var (_, observer) = chat.Send("Hi");
        var start = await observer.NextAsync<StartFrame>();
        await chat.Store.DeleteAsync(ChatHarness.Owner, start.ConversationId, TestContext.Current.CancellationToken);
        chat.Model.Say("orphan");
        chat.Model.End();

        var frames = await observer.UntilEndAsync();

        Assert.Equal(["chunk", "error", "end"], frames.Select(Type));
        Assert.Equal(ErrorCodes.HistoryNotSaved, ((ErrorFrame)frames[1]).Code);
    }

    [Fact]
    public async Task ALateObserverGetsWhatItMissedThenTheLiveTail()
    {
        await using var chat = new ChatHarness();
        var (reply, first) = chat.Send("Hi");
        await first.NextAsync<StartFrame>();
        chat.Model.Say("a", "b");
        await first.NextAsync<ChunkFrame>();
        await first.NextAsync<ChunkFrame>();

        var late = new RecordingObserver();
        reply.Attach(late, afterSeq: 1);
        chat.Model.Say("c");
        chat.Model.End();
        var frames = await late.UntilEndAsync();

        Assert.Equal(["start", "chunk", "chunk", "end"], frames.Select(Type));
        Assert.Equal([2L, 3L], frames.OfType<ChunkFrame>().Select(c => c.Seq));
    }

    [Fact]
    public async Task AnObserverThatCannotKeepUpIsDroppedAndTheReplyGoesOn()
    {
        await using var chat = new ChatHarness();
        var slow = new RecordingObserver(accept: false);
        var reply = chat.Coordinator.Begin(new ChatTurnRequest(ChatHarness.Owner, "Hi", null, null, null), slow);
        var healthy = new RecordingObserver();
        reply.Attach(healthy);
        chat.Model.Say("x", "y");
        chat.Model.End();

        var frames = await healthy.UntilEndAsync();

        Assert.Equal("end", Type(frames[^1]));
        Assert.Single(slow.All);
    }

    private static string Type(ServerFrame frame) => frame switch
    {
        StartFrame => "start",
        ChunkFrame => "chunk",
        EndFrame => "end",
        _ => "error",
    };

    private sealed class FakeResponse(int status) : PipelineResponse
    {
        public override int Status => status;

        public override string ReasonPhrase => "fake";

        public override Stream? ContentStream { get; set; }

        public override BinaryData Content => BinaryData.FromString("{}");

        protected override PipelineResponseHeaders HeadersCore => throw new NotSupportedException();

        public override BinaryData BufferContent(CancellationToken cancellationToken = default) => Content;

        public override ValueTask<BinaryData> BufferContentAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Content);

        public override void Dispose()
        {
        }
    }
}
