using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;
using AspireChat.Tests.Fakes;

namespace AspireChat.Tests.Unit.Replies;

public sealed class InMemoryReplyBrokerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnEndedReplyResumesWithinItsRetentionAndIsNotFoundAfterIt()
    {
        await using var chat = new ChatHarness(replies: o => o.Retention = TimeSpan.FromSeconds(1));
        chat.Model.Say("a", "b");
        chat.Model.End();
        var frames = await chat.Send("Hi").Observer.UntilEndAsync();
        var start = (StartFrame)frames[0];
        var request = new WatchRequest(ChatHarness.Owner, start.ConversationId, start.MessageId, 1, "tab");

        var within = new RecordingObserver();
        var (watch, error) = await chat.Broker.WatchAsync(request, within, Token);
        await using (watch)
        {
            Assert.Null(error);
            Assert.Equal(["start", "chunk", "end"], (await within.UntilEndAsync()).Select(f => f.GetType().Name[..^"Frame".Length].ToLowerInvariant()));
        }

        await Task.Delay(TimeSpan.FromSeconds(1.2), Token);
        var (late, expired) = await chat.Broker.WatchAsync(request, new RecordingObserver(), Token);

        Assert.Null(late);
        Assert.Equal(ErrorCodes.NotFound, expired?.Code);
    }

    [Fact]
    public async Task AnEndedReplyKeepsItsChunksForAResumeWithTheirSeqs()
    {
        await using var chat = new ChatHarness();
        chat.Model.Say("one ", "two ", "three");
        chat.Model.End();
        var (reply, observer) = chat.Send("Count.");
        var frames = await observer.UntilEndAsync();

        var late = new RecordingObserver();
        reply.Attach(late, afterSeq: 1);

        Assert.Equal("one two three", reply.Text);
        Assert.Equal(3, reply.Seq);
        Assert.Equal([(2L, "two "), (3L, "three")], late.All.OfType<ChunkFrame>().Select(c => (c.Seq, c.Content)));
        Assert.IsType<EndFrame>(late.All[^1]);
        Assert.Equal(frames.OfType<ChunkFrame>().Select(c => c.Content), ["one ", "two ", "three"]);
    }
}
