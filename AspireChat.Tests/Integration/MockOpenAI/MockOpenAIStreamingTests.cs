using System.Diagnostics;
using System.Text.Json;
using AspireChat.MockOpenAI;
using OpenAI.Chat;

namespace AspireChat.Tests.Integration.MockOpenAI;

/// <summary>The mock speaks OpenAI's streaming protocol well enough for the official SDK to read it.</summary>
public sealed class MockOpenAIStreamingTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheOpenAISdkStreamsTheTokensFinishReasonAndUsage()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 7), Cancellation);
        var client = MockOpenAIClient.Create(mock, "gpt-4o-mini");

        var reply = await MockOpenAIClient.StreamAsync(client, [new UserChatMessage("Hello there, mock")], Cancellation);

        Assert.Equal(MockTokens.ExpectedText(7), reply.Text);
        Assert.Equal(7, reply.ContentUpdates);
        Assert.Equal(ChatFinishReason.Stop, reply.FinishReason);
        Assert.NotNull(reply.Usage);
        Assert.Equal(3, reply.Usage.InputTokenCount);
        Assert.Equal(7, reply.Usage.OutputTokenCount);
        Assert.Equal(10, reply.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task EveryRequestIsRecordedWithItsPromptAndHistory()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(), Cancellation);
        var client = MockOpenAIClient.Create(mock, "history-model");

        await MockOpenAIClient.StreamAsync(client,
            [new SystemChatMessage("Be brief."), new UserChatMessage("first"), new AssistantChatMessage("answer"), new UserChatMessage("second")],
            Cancellation);

        var request = Assert.Single(mock.Requests);
        Assert.Equal("history-model", request.Model);
        Assert.True(request.Stream);
        Assert.Equal(
            [("system", "Be brief."), ("user", "first"), ("assistant", "answer"), ("user", "second")],
            request.Messages.Select(m => (m.Role, m.Content)));
        Assert.Equal("Bearer test-key", request.Authorization);
    }

    [Fact]
    public async Task MaxOutputTokensCutsTheReplyShortWithFinishReasonLength()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 10), Cancellation);
        var client = MockOpenAIClient.Create(mock, "mock");

        var reply = await MockOpenAIClient.StreamAsync(client, [new UserChatMessage("hi")], Cancellation,
            new ChatCompletionOptions { MaxOutputTokenCount = 4 });

        Assert.Equal(MockTokens.ExpectedText(4), reply.Text);
        Assert.Equal(ChatFinishReason.Length, reply.FinishReason);
        Assert.Equal(4, Assert.Single(mock.Requests).MaxTokens);
    }

    [Fact]
    public async Task TheModelNameOverridesTheTokenCount()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 3), Cancellation);
        var client = MockOpenAIClient.Create(mock, "mock?tokens=12&interval=0ms");

        var reply = await MockOpenAIClient.StreamAsync(client, [new UserChatMessage("hi")], Cancellation);

        Assert.Equal(MockTokens.ExpectedText(12), reply.Text);
    }

    [Fact]
    public async Task TheFirstTokenWaitsForTheConfiguredTimeToFirstToken()
    {
        var options = MockOpenAIOptions.Instant(tokenCount: 2);
        options.TimeToFirstToken = TimeSpan.FromMilliseconds(300);
        await using var mock = await MockOpenAIServer.StartAsync(options, Cancellation);
        var client = MockOpenAIClient.Create(mock, "mock");

        // A lower bound only: the mock must not answer early; how late it may be is the benchmark's business.
        var elapsed = Stopwatch.StartNew();
        var reply = await MockOpenAIClient.StreamAsync(client, [new UserChatMessage("hi")], Cancellation);

        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(250), $"The reply came after {elapsed.ElapsedMilliseconds} ms; expected at least the 300 ms time to first token.");
        Assert.Equal(MockTokens.ExpectedText(2), reply.Text);
    }

    [Fact]
    public async Task ManyStreamsArePacedTokenByTokenFromTheirOwnStart()
    {
        var options = MockOpenAIOptions.Instant(tokenCount: 5);
        options.TimeToFirstToken = TimeSpan.FromMilliseconds(100);
        options.TokenInterval = TimeSpan.FromMilliseconds(50);
        await using var mock = await MockOpenAIServer.StartAsync(options, Cancellation);
        var client = MockOpenAIClient.Create(mock, "mock");

        // Twenty streams share the pacer's one thread; none may get a token before it is due.
        var elapsed = Stopwatch.StartNew();
        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => MockOpenAIClient.StreamAsync(client, [new UserChatMessage("hi")], Cancellation)));

        Assert.All(replies, reply => Assert.Equal(MockTokens.ExpectedText(5), reply.Text));
        Assert.True(elapsed.Elapsed >= TimeSpan.FromMilliseconds(290), $"Five tokens at 100 ms + 4 × 50 ms came after {elapsed.ElapsedMilliseconds} ms.");
    }

    [Fact]
    public async Task AStreamWaitingForItsFirstTokenEndsWhenTheServerIsDisposed()
    {
        var options = MockOpenAIOptions.Instant(tokenCount: 2);
        options.TimeToFirstToken = TimeSpan.FromMinutes(5);
        var mock = await MockOpenAIServer.StartAsync(options, Cancellation);
        var client = MockOpenAIClient.Create(mock, "mock");
        var streaming = MockOpenAIClient.StreamAsync(client, [new UserChatMessage("hi")], Cancellation);
        while (mock.Requests.Count == 0)
        {
            await Task.Delay(10, Cancellation);
        }

        // The wait for the first token is cancelled, not left to run out: disposing does not wait for it.
        var disposing = Stopwatch.StartNew();
        await mock.DisposeAsync();

        Assert.True(disposing.Elapsed < TimeSpan.FromSeconds(4), $"Disposing took {disposing.Elapsed.TotalSeconds:F1} s: the waiting stream held it up.");
        await Task.WhenAny(streaming, Task.Delay(TimeSpan.FromSeconds(10), Cancellation));
        Assert.True(streaming.IsCompleted, "The stream was still open after the server was disposed.");
    }

    [Fact]
    public async Task ANonStreamingRequestGetsTheWholeCompletion()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 6), Cancellation);
        var client = MockOpenAIClient.Create(mock, "mock");

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("one two")], cancellationToken: Cancellation);

        Assert.Equal(MockTokens.ExpectedText(6), Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(2, completion.Usage.InputTokenCount);
        Assert.Equal(6, completion.Usage.OutputTokenCount);
        Assert.False(Assert.Single(mock.Requests).Stream);
    }

    [Fact]
    public async Task TheStreamIsFramedExactlyAsOpenAIFramesIt()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 2), Cancellation);
        using var http = new HttpClient();
        using var content = new StringContent("""{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""");

        using var response = await http.PostAsync(new Uri(mock.BaseAddress, "chat/completions"), content, Cancellation);
        var body = await response.Content.ReadAsStringAsync(Cancellation);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToArray();
        Assert.Equal(5, chunks.Length); // role, two tokens, finish, usage
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("tok1 ", chunks[2].GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal("stop", chunks[3].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(0, chunks[4].GetProperty("choices").GetArrayLength());
        Assert.Equal(3, chunks[4].GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }
}
