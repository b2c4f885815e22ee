using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.WebSockets;

namespace AspireChat.Tests.Unit.WebSockets;

public sealed class DeliveryFilterTests
{
    private const string Conversation = "c1";

    [Fact]
    public void AReplyRelayedByTwoPathsIsPassedOnceInOrder()
    {
        var filter = new DeliveryFilter();
        var reply = Reply("m1", chunks: 5);
        // The watched path trails the asked-for one by two frames, and both are complete.
        var interleaved = new List<ServerFrame>();
        for (var i = 0; i < reply.Count + 2; i++)
        {
            if (i < reply.Count)
            {
                interleaved.Add(reply[i]);
            }

            if (i >= 2)
            {
                interleaved.Add(reply[i - 2]);
            }
        }

        Assert.Equal(reply, interleaved.Where(filter.IsNew));
    }

    [Fact]
    public void AnErrorOfAReplyPassesOncePerCode()
    {
        var filter = new DeliveryFilter();
        var busy = new ErrorFrame(ErrorCodes.HistoryNotSaved, "not saved") { ConversationId = Conversation, MessageId = "m1" };

        Assert.True(filter.IsNew(busy));
        Assert.False(filter.IsNew(busy with { Message = "again" }));
        Assert.True(filter.IsNew(new ErrorFrame(ErrorCodes.ModelError, "model") { ConversationId = Conversation, MessageId = "m1" }));
    }

    [Fact]
    public void AnythingOfAReplyAfterItsEndIsDropped()
    {
        var filter = new DeliveryFilter();
        var reply = Reply("m1", chunks: 3);
        Assert.All(reply, frame => Assert.True(filter.IsNew(frame)));

        Assert.All(reply, frame => Assert.False(filter.IsNew(frame)));
        Assert.False(filter.IsNew(new ErrorFrame(ErrorCodes.ModelError, "late") { ConversationId = Conversation, MessageId = "m1" }));
    }

    [Fact]
    public void AResumedReplyIsPassedAgainAfterTheClientsSeqEvenOnceEnded()
    {
        var filter = new DeliveryFilter();
        var reply = Reply("m1", chunks: 4);
        Assert.All(reply, frame => Assert.True(filter.IsNew(frame)));

        filter.Resumed("m1", lastSeq: 2);

        Assert.Equal(reply.Skip(3), reply.Skip(1).Where(filter.IsNew));
    }

    [Fact]
    public void AConnectionThatLivesForThousandsOfRepliesHoldsABoundedFilter()
    {
        var filter = new DeliveryFilter();
        for (var n = 0; n < 5_000; n++)
        {
            Assert.All(Reply($"m{n}", chunks: 3), frame => Assert.True(filter.IsNew(frame)));
        }

        Assert.Equal(DeliveryFilter.EndedRemembered, filter.Tracked);
        // The other path's copy of a recent reply is still recognised.
        Assert.All(Reply("m4999", chunks: 3), frame => Assert.False(filter.IsNew(frame)));
    }

    [Fact]
    public void AReplyEndedAgainAfterAResumeIsRememberedFromItsLaterEnd()
    {
        var filter = new DeliveryFilter();
        var again = Reply("again", chunks: 2);
        Assert.All(again, frame => Assert.True(filter.IsNew(frame)));
        filter.Resumed("again", lastSeq: 0);
        Assert.All(again.Skip(1), frame => Assert.True(filter.IsNew(frame)));

        // Enough later replies to push its first end, but not its second, out of memory.
        for (var n = 0; n < DeliveryFilter.EndedRemembered - 1; n++)
        {
            Assert.All(Reply($"m{n}", chunks: 1), frame => Assert.True(filter.IsNew(frame)));
        }

        Assert.All(again, frame => Assert.False(filter.IsNew(frame)));
    }

    private static List<ServerFrame> Reply(string messageId, int chunks) =>
    [
        new StartFrame(Conversation, messageId, "u1", "offline"),
        .. Enumerable.Range(1, chunks).Select(seq => new ChunkFrame(Conversation, messageId, seq, $"t{seq} ")),
        new EndFrame(Conversation, messageId, "u1", FinishReasons.Stop, null),
    ];
}
