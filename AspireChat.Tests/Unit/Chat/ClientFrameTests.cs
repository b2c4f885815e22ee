using System.Text;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.Tests.Unit.Chat;

public sealed class ClientFrameTests
{
    [Fact]
    public void AMessageFrameIsReadWithAllItsFields()
    {
        var (frame, error) = Parse("""{"type":"message","content":"Hi","conversationId":"abc","id":"c-1","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","extra":42}""");

        Assert.Null(error);
        Assert.Equal(new ClientFrame("message", "Hi", "abc", "c-1", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), frame);
    }

    [Theory]
    [InlineData("{not json", "invalid_json")]
    [InlineData("[1,2]", "invalid_json")]
    [InlineData("\"message\"", "invalid_json")]
    [InlineData("{} {}", "invalid_json")]
    [InlineData("", "invalid_json")]
    [InlineData("{}", "invalid_frame")]
    [InlineData("""{"type":7}""", "invalid_frame")]
    [InlineData("""{"type":"message","content":{"text":"hi"}}""", "invalid_frame")]
    [InlineData("""{"type":"dance"}""", "unknown_type")]
    [InlineData("""{"type":"message"}""", "empty_content")]
    [InlineData("""{"type":"message","content":""}""", "empty_content")]
    [InlineData("""{"type":"message","content":" \n\t "}""", "empty_content")]
    [InlineData("""{"type":"stop"}""", "invalid_frame")]
    [InlineData("""{"type":"regenerate","messageId":"m"}""", "invalid_frame")]
    [InlineData("""{"type":"regenerate","conversationId":"c"}""", "invalid_frame")]
    [InlineData("""{"type":"edit","conversationId":"c","content":"x"}""", "invalid_frame")]
    [InlineData("""{"type":"edit","conversationId":"c","messageId":"m","content":"  "}""", "empty_content")]
    [InlineData("""{"type":"switch","conversationId":"c"}""", "invalid_frame")]
    [InlineData("""{"type":"switch","conversationId":"c","index":0}""", "invalid_index")]
    [InlineData("""{"type":"switch","conversationId":"c","index":-3,"parentId":"p"}""", "invalid_index")]
    [InlineData("""{"type":"switch","conversationId":"c","index":"two"}""", "invalid_frame")]
    public void ABadFrameGetsTheErrorCodeThatNamesTheProblem(string json, string expectedCode)
    {
        var (frame, error) = Parse(json);

        Assert.Null(frame);
        Assert.Equal(expectedCode, error?.Code);
        Assert.False(string.IsNullOrWhiteSpace(error?.Message));
    }

    [Fact]
    public void AnOverlongClientIdIsRefused()
    {
        var (_, error) = Parse($$"""{"type":"message","content":"hi","id":"{{new string('x', 129)}}"}""");

        Assert.Equal(ErrorCodes.InvalidFrame, error?.Code);
    }

    [Fact]
    public void AnEmptyMessageErrorNamesTheConversationAndTheClientsId()
    {
        var (_, error) = Parse("""{"type":"message","content":"  ","conversationId":"c","id":"m-9"}""");

        Assert.Equal(("c", "m-9"), (error?.ConversationId, error?.ReplyTo));
    }

    private static (ClientFrame? Frame, ErrorFrame? Error) Parse(string json) => ClientFrame.Parse(Encoding.UTF8.GetBytes(json));
}
