using AspireChat.ChatApi.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace AspireChat.Tests.Unit.Chat;

public sealed class OfflineChatClientTests
{
    [Fact]
    public async Task ItStreamsWordByWordAReplyThatQuotesTheUserAndSaysHowToConfigureARealModel()
    {
        var client = Create();
        var updates = await client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hello <script>alert(1)</script>\nsecond line")], cancellationToken: TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        var text = string.Concat(updates.Select(u => u.Text));
        Assert.True(updates.Count(u => u.Text.Length > 0) > 20, "Expected the reply in many small chunks.");
        Assert.Contains("offline model", text);
        Assert.Contains("> Hello <script>alert(1)</script>\n> second line", text);
        Assert.Contains("Model__ApiKey", text);
        Assert.Equal(OfflineChatClient.Reply([new ChatMessage(ChatRole.User, "Hello <script>alert(1)</script>\nsecond line")]), text);
    }

    [Fact]
    public async Task TheReplyIsDeterministicAndAnswersFromTheConversation()
    {
        ChatMessage[] conversation =
        [
            new(ChatRole.System, "be nice"),
            new(ChatRole.User, "First question"),
            new(ChatRole.Assistant, "First answer"),
            new(ChatRole.User, "Second question"),
        ];

        var first = await Create().GetResponseAsync(conversation, cancellationToken: TestContext.Current.CancellationToken);
        var second = await Create().GetResponseAsync(conversation, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(first.Text, second.Text);
        Assert.Contains("2 messages", first.Text);
        Assert.Contains("\"First question\"", first.Text);
    }

    [Fact]
    public async Task ItReportsUsageAndFinishesWithLengthWhenCappedByMaxOutputTokens()
    {
        var updates = await Create().GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { MaxOutputTokens = 5 }, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(5, updates.Count(u => u.Text.Length > 0));
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Length, last.FinishReason);
        var usage = Assert.Single(last.Contents.OfType<UsageContent>()).Details;
        Assert.Equal(5, usage.OutputTokenCount);
        Assert.Equal(1, usage.InputTokenCount);
    }

    [Fact]
    public async Task ItIsPacedByItsOptions()
    {
        var client = Create(new OfflineModelOptions { TimeToFirstToken = TimeSpan.FromMilliseconds(300), TokensPerSecond = 0 });
        var started = DateTimeOffset.UtcNow;

        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hi")], cancellationToken: TestContext.Current.CancellationToken))
        {
            Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromMilliseconds(290), "The first token came before the configured time to first token.");
            break;
        }
    }

    private static OfflineChatClient Create(OfflineModelOptions? pacing = null) =>
        new(Options.Create(new ModelOptions { Offline = pacing ?? new OfflineModelOptions { TimeToFirstToken = TimeSpan.Zero, TokensPerSecond = 0 } }), TimeProvider.System);
}
