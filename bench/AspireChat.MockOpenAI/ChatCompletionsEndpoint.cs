using System.Diagnostics;
using System.Text.Json;

namespace AspireChat.MockOpenAI;

/// <summary>
/// <c>POST /v1/chat/completions</c>: a streamed (SSE) or whole completion of deterministic tokens,
/// paced from the moment the request arrived, or the fault the model name asks for.
/// </summary>
internal sealed class ChatCompletionsEndpoint(MockOpenAIOptions options, MockRequestLog log, TokenPacer pacer, CancellationToken serverStopping)
{
    private static readonly TimeSpan ResetGrace = TimeSpan.FromMilliseconds(100);

    public async Task HandleAsync(HttpContext context)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, serverStopping);
        var cancellationToken = linked.Token;
        try
        {
            await HandleAsync(context, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away, or the server is stopping: nobody is left to answer.
        }
    }

    private async Task HandleAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var body = await ReadBodyAsync(context.Request, cancellationToken);
        if (!MockChatRequest.TryParse(body, context.Request.Headers.Authorization, out var request, out var requestError))
        {
            await OpenAIError.WriteAsync(context, StatusCodes.Status400BadRequest, requestError!, cancellationToken);
            return;
        }

        request = request! with { Protocol = context.Request.Protocol, ConnectionId = context.Connection.Id };
        var requestNumber = log.Add(request);
        if (!MockModel.TryParse(request.Model, options, out var model, out var modelError))
        {
            await OpenAIError.WriteAsync(context, StatusCodes.Status404NotFound, modelError!, cancellationToken);
            return;
        }

        switch (model!.Fault)
        {
            case MockFault.HttpError:
                await OpenAIError.WriteAsync(context, model.FaultArgument, $"Mock failure {model.FaultArgument} asked for by the model name.", cancellationToken,
                    model.FaultArgument == StatusCodes.Status429TooManyRequests ? model.RetryAfter : null);
                return;
            case MockFault.FailThenOk when requestNumber <= model.FaultArgument:
                await OpenAIError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                    $"Mock failure {requestNumber} of {model.FaultArgument}; the next request after them succeeds.", cancellationToken);
                return;
        }

        var completion = new Completion(
            $"chatcmpl-mock{Guid.NewGuid():N}",
            DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            request,
            model,
            started);
        if (request.Stream)
        {
            await StreamAsync(context, completion, cancellationToken);
        }
        else
        {
            await CompleteAsync(context, completion, cancellationToken);
        }
    }

    private async Task StreamAsync(HttpContext context, Completion completion, CancellationToken cancellationToken)
    {
        var (request, model) = (completion.Request, completion.Model);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["x-request-id"] = completion.Id;
        await response.StartAsync(cancellationToken);

        var writer = new SseChunkWriter(response.BodyWriter, completion.Id, completion.Created, request.Model, request.IncludeUsage);
        var (tokenCount, finishReason) = completion.Length;
        var breakAfter = model.Fault is MockFault.ResetAfter or MockFault.StallAfter or MockFault.MalformedAfter
            ? Math.Min(model.FaultArgument, tokenCount)
            : -1;

        var pace = pacer.CreateWait();
        await pace.UntilAsync(DueAt(completion.Started, model.TimeToFirstToken), cancellationToken);
        writer.WriteRole();
        for (var i = 0; i < tokenCount; i++)
        {
            if (i == breakAfter)
            {
                break;
            }

            if (i > 0)
            {
                await pace.UntilAsync(DueAt(completion.Started, model.TimeToFirstToken + (model.TokenInterval * i)), cancellationToken);
            }

            writer.WriteToken(i);
            // One flush per token: the client must see each token the moment it is "generated".
            if (await writer.FlushAsync(cancellationToken) is { IsCompleted: true } or { IsCanceled: true })
            {
                return;
            }
        }

        switch (model.Fault)
        {
            case MockFault.ResetAfter:
                await writer.FlushAsync(cancellationToken);
                // A flush hands the bytes to Kestrel's transport, not yet to the socket: give it time to send
                // them, or the reset would overtake the tokens and the client would see none of them.
                await Task.Delay(ResetGrace, cancellationToken);
                context.Abort();
                return;
            case MockFault.StallAfter:
                await writer.FlushAsync(cancellationToken);
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return;
            case MockFault.MalformedAfter:
                writer.WriteMalformed();
                await writer.FlushAsync(cancellationToken);
                return;
        }

        writer.WriteFinish(finishReason);
        if (request.IncludeUsage)
        {
            writer.WriteUsage(request.PromptTokens, tokenCount);
        }

        writer.WriteDone();
        await writer.FlushAsync(cancellationToken);
    }

    private async Task CompleteAsync(HttpContext context, Completion completion, CancellationToken cancellationToken)
    {
        var (request, model) = (completion.Request, completion.Model);
        var (tokenCount, finishReason) = completion.Length;
        await pacer.CreateWait().UntilAsync(DueAt(completion.Started, model.TimeToFirstToken + (model.TokenInterval * Math.Max(0, tokenCount - 1))), cancellationToken);
        switch (model.Fault)
        {
            case MockFault.ResetAfter:
                context.Abort();
                return;
            case MockFault.StallAfter:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return;
            case MockFault.MalformedAfter:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"id\":\"chatcmpl-", cancellationToken);
                return;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers["x-request-id"] = completion.Id;
        await using var json = new Utf8JsonWriter(response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("id", completion.Id);
        json.WriteString("object", "chat.completion");
        json.WriteNumber("created", completion.Created);
        json.WriteString("model", request.Model);
        json.WriteString("system_fingerprint", "fp_mock");
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("message");
        json.WriteString("role", "assistant");
        json.WriteString("content", MockTokens.ExpectedText(tokenCount));
        json.WriteNull("refusal");
        json.WriteEndObject();
        json.WriteNull("logprobs");
        json.WriteString("finish_reason", finishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", request.PromptTokens);
        json.WriteNumber("completion_tokens", tokenCount);
        json.WriteNumber("total_tokens", request.PromptTokens + tokenCount);
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>
    /// The timestamp <paramref name="offset"/> after <paramref name="started"/>. Pacing from the request's arrival,
    /// not from the previous token, keeps a slow write from drifting every later token.
    /// </summary>
    private static long DueAt(long started, TimeSpan offset) => started + (long)(offset.TotalSeconds * Stopwatch.Frequency);

    private sealed record Completion(string Id, long Created, MockChatRequest Request, MockModel Model, long Started)
    {
        /// <summary>How many tokens to send, and why the reply ends: max_tokens below the model's count cuts it to "length".</summary>
        public (int TokenCount, string FinishReason) Length =>
            Request.MaxTokens is { } max && max < Model.TokenCount ? (Math.Max(0, max), "length") : (Model.TokenCount, "stop");
    }
}
