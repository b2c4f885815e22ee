using AspireChat.ChatApi.Models;
using AspireChat.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace AspireChat.Tests.Unit.Chat;

public sealed class RawUpdateReleasingChatClientTests
{
    [Fact]
    public async Task EachStreamedUpdatePassesThroughInOrderWithoutItsRawObjects()
    {
        var model = new ScriptedChatClient();
        using var client = new RawUpdateReleasingChatClient(model);
        var cancellationToken = TestContext.Current.CancellationToken;
        model.Steps.TryWrite(new ChatResponseUpdate(ChatRole.Assistant, [new TextContent("Hel") { RawRepresentation = new object() }]) { RawRepresentation = new object() });
        model.Steps.TryWrite(new ChatResponseUpdate(ChatRole.Assistant, [new TextContent("lo") { RawRepresentation = new object() }]) { RawRepresentation = new object() });
        model.Finish(output: 2);
        model.End();

        var updates = await client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: cancellationToken).ToListAsync(cancellationToken);

        Assert.Equal(["Hel", "lo", ""], updates.Select(u => u.Text));
        Assert.All(updates, update => Assert.Null(update.RawRepresentation));
        Assert.All(updates.SelectMany(update => update.Contents), content => Assert.Null(content.RawRepresentation));
        Assert.Equal(2, updates[^1].Contents.OfType<UsageContent>().Single().Details.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
    }

    [Fact]
    public async Task EveryUpdateOfAResponseHoldsTheFirstUpdatesIdStringAndAnIdThatDiffersKeepsItsOwn()
    {
        var model = new ScriptedChatClient();
        using var client = new RawUpdateReleasingChatClient(model);
        var cancellationToken = TestContext.Current.CancellationToken;
        // Equal values in distinct strings, as a provider's SDK reads them out of each chunk.
        string[] ids = [new('a', 12), new('a', 12), new('a', 12)];
        Assert.NotSame(ids[0], ids[1]);
        foreach (var id in ids)
        {
            model.Steps.TryWrite(new ChatResponseUpdate(ChatRole.Assistant, "tok") { ResponseId = id, MessageId = new string('a', 12) });
        }

        model.Steps.TryWrite(new ChatResponseUpdate(ChatRole.Assistant, "other") { ResponseId = "b", MessageId = "m" });
        model.End();

        var updates = await client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: cancellationToken).ToListAsync(cancellationToken);

        Assert.All(updates.Take(3), update => Assert.Same(ids[0], update.ResponseId));
        Assert.All(updates.Take(3), update => Assert.Same(ids[0], update.MessageId));
        Assert.Equal(("b", "m"), (updates[3].ResponseId, updates[3].MessageId));
    }

    [Fact]
    public async Task AFailureOfTheModelMidStreamReachesTheCallerAfterTheTokensBeforeIt()
    {
        var model = new ScriptedChatClient();
        using var client = new RawUpdateReleasingChatClient(model);
        var cancellationToken = TestContext.Current.CancellationToken;
        model.Say("partial");
        model.Fail(new HttpRequestException("connection reset"));

        var received = new List<string>();
        var failure = await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: cancellationToken))
            {
                received.Add(update.Text);
            }
        });

        Assert.Equal(["partial"], received);
        Assert.Equal("connection reset", failure.Message);
    }
}
