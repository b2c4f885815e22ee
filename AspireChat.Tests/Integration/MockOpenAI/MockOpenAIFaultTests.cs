using System.ClientModel;
using AspireChat.MockOpenAI;
using OpenAI.Chat;

namespace AspireChat.Tests.Integration.MockOpenAI;

/// <summary>Each fault model fails the way a real OpenAI endpoint can, as the official SDK sees it.</summary>
public sealed class MockOpenAIFaultTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly ChatMessage[] Prompt = [new UserChatMessage("hi")];

    [Theory]
    [InlineData(500)]
    [InlineData(401)]
    [InlineData(503)]
    public async Task AnHttpFaultModelAnswersWithThatStatusAndAnOpenAIErrorBody(int status)
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(), Cancellation);
        var client = MockOpenAIClient.Create(mock, $"fault-http-{status}");

        var error = await Assert.ThrowsAsync<ClientResultException>(() => MockOpenAIClient.StreamAsync(client, Prompt, Cancellation));

        Assert.Equal(status, error.Status);
        Assert.Contains($"Mock failure {status}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyRequestsSaysWhenToRetry()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(), Cancellation);
        var client = MockOpenAIClient.Create(mock, "fault-http-429?retryAfter=3s");

        var error = await Assert.ThrowsAsync<ClientResultException>(() => MockOpenAIClient.StreamAsync(client, Prompt, Cancellation));

        Assert.Equal(429, error.Status);
        var headers = error.GetRawResponse()!.Headers;
        Assert.True(headers.TryGetValue("Retry-After", out var retryAfter));
        Assert.Equal("3", retryAfter);
        Assert.True(headers.TryGetValue("retry-after-ms", out var retryAfterMs));
        Assert.Equal("3000", retryAfterMs);
        Assert.Contains("rate_limit_exceeded", error.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailThenOkFailsTheFirstRequestsOnlyForThatModel()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 3), Cancellation);
        var client = MockOpenAIClient.Create(mock, "fault-fail-then-ok-2");

        var first = await Assert.ThrowsAsync<ClientResultException>(() => MockOpenAIClient.StreamAsync(client, Prompt, Cancellation));
        var second = await Assert.ThrowsAsync<ClientResultException>(() => MockOpenAIClient.StreamAsync(client, Prompt, Cancellation));
        var third = await MockOpenAIClient.StreamAsync(client, Prompt, Cancellation);

        Assert.Equal(503, first.Status);
        Assert.Equal(503, second.Status);
        Assert.Equal(MockTokens.ExpectedText(3), third.Text);
        Assert.Equal(3, mock.Requests.Count);
    }

    [Fact]
    public async Task ResetAfterNStreamsNTokensThenBreaksTheConnection()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 10), Cancellation);
        var client = MockOpenAIClient.Create(mock, "fault-reset-after-3");
        var reply = new StreamedReply();

        await Assert.ThrowsAnyAsync<Exception>(() => MockOpenAIClient.StreamIntoAsync(client, Prompt, reply, Cancellation));

        Assert.Equal(MockTokens.ExpectedText(3), reply.Text);
        Assert.Null(reply.FinishReason);
    }

    [Fact]
    public async Task StallAfterNStreamsNTokensThenSendsNothingUntilTheClientGivesUp()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 10), Cancellation);
        var client = MockOpenAIClient.Create(mock, "fault-stall-after-2");
        var reply = new StreamedReply();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MockOpenAIClient.StreamIntoAsync(client, Prompt, reply, timeout.Token));

        Assert.Equal(MockTokens.ExpectedText(2), reply.Text);
        Assert.Null(reply.FinishReason);
    }

    [Fact]
    public async Task MalformedAfterNStreamsNTokensThenALineTheSdkCannotParse()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 10), Cancellation);
        var client = MockOpenAIClient.Create(mock, "fault-malformed-after-4");
        var reply = new StreamedReply();

        await Assert.ThrowsAnyAsync<Exception>(() => MockOpenAIClient.StreamIntoAsync(client, Prompt, reply, Cancellation));

        Assert.Equal(MockTokens.ExpectedText(4), reply.Text);
    }

    [Fact]
    public async Task AnUnknownFaultIsAModelNotFound()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(), Cancellation);
        var client = MockOpenAIClient.Create(mock, "fault-nonsense");

        var error = await Assert.ThrowsAsync<ClientResultException>(() => MockOpenAIClient.StreamAsync(client, Prompt, Cancellation));

        Assert.Equal(404, error.Status);
        Assert.Contains("model_not_found", error.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposingTheServerEndsAStalledStream()
    {
        var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 10), Cancellation);
        var client = MockOpenAIClient.Create(mock, "fault-stall-after-1");
        var reply = new StreamedReply();
        var streaming = MockOpenAIClient.StreamIntoAsync(client, Prompt, reply, Cancellation);
        while (reply.Text.Length == 0 && !streaming.IsCompleted)
        {
            await Task.Delay(10, Cancellation);
        }

        await mock.DisposeAsync();

        // The stream ends (cleanly or not) instead of hanging the test.
        await Task.WhenAny(streaming, Task.Delay(TimeSpan.FromSeconds(10), Cancellation));
        Assert.True(streaming.IsCompleted, "The stalled stream was still open after the server was disposed.");
        Assert.Equal(MockTokens.ExpectedText(1), reply.Text);
    }
}
