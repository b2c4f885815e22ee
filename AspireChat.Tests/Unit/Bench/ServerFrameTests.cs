using System.Text;
using System.Text.Json;
using AspireChat.Bench.Load;

namespace AspireChat.Tests.Unit.Bench;

public sealed class ServerFrameTests
{
    [Fact]
    public void AChunkGivesItsSeqAndAppendsItsContent()
    {
        var content = new StringBuilder("tok0 ");

        var frame = ServerFrame.Parse("""{"type":"chunk","conversationId":"c1","messageId":"m","seq":2,"content":"tok1 ","extra":{"a":[1,2]}}"""u8, content);

        Assert.Equal(FrameType.Chunk, frame.Type);
        Assert.Equal(2, frame.Seq);
        Assert.Equal("tok0 tok1 ", content.ToString());
    }

    [Fact]
    public void StartEndAndErrorCarryTheirFields()
    {
        var start = ServerFrame.Parse("""{"type":"start","conversationId":"3kV","messageId":"a7Q","model":"m","content":""}"""u8);
        var end = ServerFrame.Parse("""{"type":"end","conversationId":"3kV","finishReason":"length","usage":{"inputTokens":1},"content":""}"""u8);
        var error = ServerFrame.Parse("""{"type":"error","code":"conversation_busy","message":"busy"}"""u8);

        Assert.Equal((FrameType.Start, "3kV"), (start.Type, start.ConversationId));
        Assert.Equal((FrameType.End, "length"), (end.Type, end.FinishReason));
        Assert.Equal((FrameType.Error, "conversation_busy", "busy"), (error.Type, error.Code, error.Message));
    }

    [Fact]
    public void FieldsBeforeTheTypeAreStillRead()
    {
        var start = ServerFrame.Parse("""{"conversationId":"3kV","messageId":"a7Q","type":"start"}"""u8);

        Assert.Equal((FrameType.Start, "3kV"), (start.Type, start.ConversationId));
    }

    [Fact]
    public void AChunkIsReadWithoutAllocating()
    {
        var chunk = """{"type":"chunk","conversationId":"3kVabcdefghijklmnopqr","messageId":"a7Qabcdefghijklmnopqr","seq":7,"content":"tok6 "}"""u8.ToArray();
        ServerFrame.Parse(chunk);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var frame = ServerFrame.Parse(chunk);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((FrameType.Chunk, 7L, null), (frame.Type, frame.Seq, frame.ConversationId));
        Assert.True(allocated == 0, $"Reading a chunk allocated {allocated} bytes; the generator reads tens of thousands a second.");
    }

    [Fact]
    public void AnUnknownTypeIsOtherAndNotAnError()
    {
        var frame = ServerFrame.Parse("""{"type":"pong","at":1}"""u8);

        Assert.Equal(FrameType.Other, frame.Type);
    }

    [Fact]
    public void SomethingThatIsNotAnObjectIsRejected()
    {
        Assert.ThrowsAny<JsonException>(() => ServerFrame.Parse("[1,2]"u8));
    }
}
