using System.Net;
using System.Text.Json;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// ChatApi as a real process with ConnectionStrings__cache, against a real redis-server it loses and gets back. The
/// faults are a single node's; on a cluster a node's death is a failover, tested on its own.
/// </summary>
public sealed class ChatApiOverRedisTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithRedisDownAtStartChatApiStartsReportsUnhealthyRefusesMessagesClearlyAndRecoversWithoutARestart()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Password = "Pw1234567890abcdefghij" });
        await redis.StopAsync();
        await using var chatApi = await StartChatApiAsync(redis);
        await using var browser = await ChatSocketClient.ConnectAsync(chatApi.BaseAddress, ChatSocketClient.NewOwner(), Token);

        using (var health = await browser.Http.GetAsync("/health", Token))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        }

        await browser.SendMessageAsync("Is anyone there?", null, Token);
        var refused = Assert.Single(await browser.ReceiveReplyAsync(Token));
        Assert.Equal("error", ChatSocketClient.Type(refused));
        Assert.Equal("store_unavailable", refused.GetProperty("code").GetString());

        await redis.StartAsync();

        await EventuallyHealthyAsync(browser.Http);
        await browser.SendMessageAsync("Now?", null, Token);
        var reply = await browser.ReceiveReplyAsync(Token);
        Assert.Equal("stop", reply[^1].GetProperty("finishReason").GetString());
        var conversationId = reply[0].GetProperty("conversationId").GetString();
        var listed = await browser.GetJsonAsync("/api/conversations", Token);
        Assert.Equal(conversationId, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
        Assert.DoesNotContain("Pw1234567890abcdefghij", chatApi.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisKilledMidReplyTheReplyStillArrivesAndItsHistoryWriteIsRetriedUntilRedisIsBack()
    {
        // Persistent, as a production Redis: the conversation created before the kill is still there after it.
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Persistent = true });
        await using var chatApi = await StartChatApiAsync(redis, tokensPerSecond: 100);
        await using var browser = await ChatSocketClient.ConnectAsync(chatApi.BaseAddress, ChatSocketClient.NewOwner(), Token);

        await browser.SendMessageAsync("Tell me something long.", null, Token);
        var frames = new List<JsonElement>();
        while (frames.Count == 0 || ChatSocketClient.Type(frames[^1]) != "chunk")
        {
            frames.Add((await browser.ReceiveAsync(TimeSpan.FromSeconds(20), Token))!.Value);
        }

        await redis.KillAsync();
        // The rest of the reply streams without Redis; then the history write fails, and the end
        // waits while it is retried.
        await WaitForOutputAsync(chatApi, "Writing a turn to history failed (attempt 1)");
        while (await browser.ReceiveAsync(TimeSpan.FromMilliseconds(100), Token) is { } frame)
        {
            frames.Add(frame);
        }

        Assert.DoesNotContain(frames, f => ChatSocketClient.Type(f) is "end" or "error");
        await redis.StartAsync();
        var reply = await browser.ReceiveReplyAsync(Token, frames);

        Assert.DoesNotContain(reply, f => ChatSocketClient.Type(f) == "error");
        Assert.Equal("stop", reply[^1].GetProperty("finishReason").GetString());
        var conversationId = reply[^1].GetProperty("conversationId").GetString();
        var conversation = await browser.GetJsonAsync($"/api/conversations/{conversationId}", Token);
        var messages = conversation.GetProperty("messages").EnumerateArray().ToList();
        // Exactly once: a retried write does not duplicate the turn.
        Assert.Equal(["user", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(ChatSocketClient.ReplyText(reply), messages[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task RedisGoneForGoodMidReplyTheClientIsToldTheHistoryWasNotSaved()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var chatApi = await StartChatApiAsync(redis, tokensPerSecond: 100, historyWriteAttempts: 2);
        await using var browser = await ChatSocketClient.ConnectAsync(chatApi.BaseAddress, ChatSocketClient.NewOwner(), Token);

        await browser.SendMessageAsync("Remember this.", null, Token);
        var first = await browser.ReceiveAsync(TimeSpan.FromSeconds(20), Token);
        Assert.Equal("start", ChatSocketClient.Type(first!.Value));
        await redis.KillAsync();
        var frames = await browser.ReceiveReplyAsync(Token, [first.Value]);

        var error = Assert.Single(frames, f => ChatSocketClient.Type(f) == "error");
        Assert.Equal("history_not_saved", error.GetProperty("code").GetString());
        Assert.Equal("end", ChatSocketClient.Type(frames[^1]));
        Assert.NotEmpty(ChatSocketClient.ReplyText(frames));
    }

    [Theory, RedisTopologies]
    public async Task ConversationHistorySurvivesAChatApiRestart(RedisTopology topology)
    {
        // This test's own Redis of the topology.
        await using var redises = new SharedRedis();
        var redis = await redises.ConnectionStringAsync(topology);
        var owner = ChatSocketClient.NewOwner();
        string conversationId, replyText;
        await using (var chatApi = await StartChatApiAsync(redis))
        {
            await using var browser = await ChatSocketClient.ConnectAsync(chatApi.BaseAddress, owner, Token);
            await browser.SendMessageAsync("Line one\r\nline two 😀", null, Token);
            var reply = await browser.ReceiveReplyAsync(Token);
            conversationId = reply[^1].GetProperty("conversationId").GetString()!;
            replyText = ChatSocketClient.ReplyText(reply);
            // Closed first: ChatApi does not yet stop promptly with a socket open (see the report).
            await browser.DisposeAsync();
            await chatApi.StopAsync();
        }

        await using var restarted = await StartChatApiAsync(redis);
        await using var again = await ChatSocketClient.ConnectAsync(restarted.BaseAddress, owner, Token);
        var conversation = await again.GetJsonAsync($"/api/conversations/{conversationId}", Token);

        var messages = conversation.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("Line one\r\nline two 😀", messages[0].GetProperty("content").GetString());
        Assert.Equal(replyText, messages[1].GetProperty("content").GetString());
        await using var stranger = await ChatSocketClient.ConnectAsync(restarted.BaseAddress, ChatSocketClient.NewOwner(), Token);
        using var hidden = await stranger.Http.GetAsync($"/api/conversations/{conversationId}", Token);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    private static Task<ServiceProcess> StartChatApiAsync(RedisServer redis, double tokensPerSecond = 0, int historyWriteAttempts = 6) =>
        StartChatApiAsync(redis.ConnectionString, tokensPerSecond, historyWriteAttempts);

    private static Task<ServiceProcess> StartChatApiAsync(string redis, double tokensPerSecond = 0, int historyWriteAttempts = 6) =>
        ServiceProcess.StartAsync("AspireChat.ChatApi", new Dictionary<string, string?>
        {
            ["ConnectionStrings__cache"] = redis,
            ["Model__Provider"] = "Offline",
            ["Model__Offline__TimeToFirstToken"] = "00:00:00",
            ["Model__Offline__TokensPerSecond"] = tokensPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Aspire's section for the multiplexer: commands wait at most 2 s for Redis (queued while it
            // reconnects), and a start with Redis down waits 1 s for it.
            ["Aspire__StackExchange__Redis__ConfigurationOptions__AsyncTimeout"] = "2000",
            ["Aspire__StackExchange__Redis__ConfigurationOptions__ConnectTimeout"] = "1000",
            ["Chat__HistoryWriteAttempts"] = historyWriteAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Chat__HistoryWriteRetryWait"] = "00:00:00.200",
        }, cancellationToken: Token);

    private static async Task WaitForOutputAsync(ServiceProcess service, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!service.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{service.Name} did not log \"{text}\".{Environment.NewLine}{service.Output}");
            await Task.Delay(20, Token);
        }
    }

    private static async Task EventuallyHealthyAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            using var response = await http.GetAsync("/health", Token);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/health still answers {(int)response.StatusCode} after Redis came back.");
            await Task.Delay(100, Token);
        }
    }
}
