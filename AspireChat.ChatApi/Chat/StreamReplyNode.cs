using System.ClientModel;
using System.Diagnostics;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Flow;
using AspireChat.ChatApi.Models;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Chat;

/// <summary>What stream's prep hands to exec: the prompt, and where the reply goes.</summary>
public sealed record ModelCall(string ConversationId, IReadOnlyList<ChatMessage> Messages, ConversationMessage UserMessage, LiveReply Reply, CancellationToken StopToken);

/// <summary>
/// The reply as far as it got: its text, how it ended, the model's token counts, the model's failure if it had one,
/// and the span of the model call that wrote it (for a rating to link to later, Feedback/).
/// </summary>
public sealed record ChatReply(string Text, string FinishReason, TokenUsage? Usage, Exception? Error = null, string? ModelSpanId = null);

/// <summary>
/// Stream: builds the prompt, then streams the model's reply, handing every piece to the <see cref="LiveReply"/> the
/// moment it arrives. A failure before the first piece is retried by the flow core (<c>Model:MaxAttempts</c>); after
/// it, the partial reply is kept and marked <c>error</c>, since a retry would repeat what the client has. A stop ends
/// the model call and keeps what came, marked <c>cancelled</c>.
/// </summary>
public sealed class StreamReplyNode : AsyncNode<ChatTurn, ModelCall, ChatReply>
{
    private readonly IChatClient _model;
    private readonly ModelOptions _modelOptions;
    private readonly ChatServiceOptions _chatOptions;
    private readonly ILogger _logger;
    private readonly string _modelName;

    public StreamReplyNode(IChatClient model, IOptions<ModelOptions> modelOptions, IOptions<ChatServiceOptions> chatOptions, TimeProvider timeProvider, ILogger<StreamReplyNode> logger)
        : base(modelOptions.Value.MaxAttempts, modelOptions.Value.RetryWait)
    {
        _model = model;
        _modelOptions = modelOptions.Value;
        _chatOptions = chatOptions.Value;
        _logger = logger;
        TimeProvider = timeProvider;
        _modelName = model.GetService<ChatClientMetadata>()?.DefaultModelId ?? _modelOptions.Name;
    }

    protected override Task<ModelCall> PrepAsync(ChatTurn turn, CancellationToken cancellationToken) =>
        Task.FromResult(new ModelCall(turn.ConversationId, ChatPrompt.Build(_chatOptions, turn.History, turn.Content), turn.UserMessage!, turn.Reply, turn.StopToken));

    protected override async Task<ChatReply> ExecAsync(ModelCall request, CancellationToken cancellationToken)
    {
        var reply = request.Reply;
        reply.Start(request.ConversationId, _modelName, request.UserMessage.Id);

        var idleTimeout = _modelOptions.StreamIdleTimeout;
        // Re-arming the timeout on every token contends on the runtime's timer lock (the benchmark's
        // profile showed it), so it is re-armed at most every tenth of the timeout (and every second).
        var rearmEvery = TimeSpan.FromTicks(Math.Min(idleTimeout.Ticks / 10, TimeSpan.TicksPerSecond));
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, request.StopToken);
        call.CancelAfter(idleTimeout);
        var armed = TimeProvider.GetTimestamp();
        var options = new ChatOptions { ModelId = _modelName, MaxOutputTokens = _modelOptions.MaxOutputTokens };
        string? finishReason = null;
        TokenUsage? usage = null;
        string? modelSpanId = null;
        try
        {
            await foreach (var update in _model.GetStreamingResponseAsync(request.Messages, options, call.Token))
            {
                if (TimeProvider.GetElapsedTime(armed) >= rearmEvery)
                {
                    call.CancelAfter(idleTimeout);
                    armed = TimeProvider.GetTimestamp();
                }

                if (!string.IsNullOrEmpty(update.Text) && reply.Append(update.Text) == 1)
                {
                    RecordFirstChunk(reply.Activity, request.UserMessage.CreatedAt);
                }

                modelSpanId = ModelSpanChatClient.SpanIdOf(update) ?? modelSpanId;
                finishReason = update.FinishReason is { } reason ? ToFinishReason(reason) : finishReason;
                // Indexed, not LINQ: this runs once per token.
                for (var i = 0; i < update.Contents.Count; i++)
                {
                    if (update.Contents[i] is UsageContent reported)
                    {
                        usage = ToTokenUsage(reported.Details);
                    }
                }
            }

            return new ChatReply(reply.Text, finishReason ?? FinishReasons.Stop, usage, ModelSpanId: modelSpanId);
        }
        catch (OperationCanceledException) when (request.StopToken.IsCancellationRequested)
        {
            return new ChatReply(reply.Text, FinishReasons.Cancelled, usage, ModelSpanId: modelSpanId);
        }
        catch (OperationCanceledException) when (call.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var timeout = new TimeoutException($"The model sent nothing for {idleTimeout.TotalSeconds:0.#} s.");
            return reply.Seq > 0 ? new ChatReply(reply.Text, FinishReasons.Error, usage, timeout, modelSpanId) : throw timeout;
        }
        catch (Exception exception) when (reply.Seq > 0 && !cancellationToken.IsCancellationRequested)
        {
            // The client already has part of the reply: a retry would repeat it, so keep what came.
            return new ChatReply(reply.Text, FinishReasons.Error, usage, exception, modelSpanId);
        }
    }

    protected override Task<ChatReply> ExecFallbackAsync(ModelCall request, Exception exception, CancellationToken cancellationToken) =>
        Task.FromResult(new ChatReply("", FinishReasons.Error, null, exception));

    protected override Task<string?> PostAsync(ChatTurn turn, ModelCall request, ChatReply result, CancellationToken cancellationToken)
    {
        turn.Result = result;
        if (result.Error is { } error)
        {
            ChatLog.ModelFailed(_logger, error, turn.ConversationId);
            turn.Reply.Fail(ErrorCodes.ModelError, DescribeModelFailure(error));
        }

        return Task.FromResult<string?>(null);
    }

    private void RecordFirstChunk(Activity? activity, DateTimeOffset receivedAt)
    {
        var elapsed = (TimeProvider.GetUtcNow() - receivedAt).TotalSeconds;
        activity?.SetTag(ReplyTelemetry.Attributes.TimeToFirstChunk, elapsed);
        activity?.AddEvent(new ActivityEvent(ReplyTelemetry.Events.FirstChunk));
        ReplyTelemetry.TimeToFirstChunk.Record(elapsed, new KeyValuePair<string, object?>("gen_ai.request.model", _modelName));
    }

    private static string DescribeModelFailure(Exception error) => error switch
    {
        ClientResultException { Status: 429 } => "The model is rate limited (HTTP 429). Try again shortly.",
        ClientResultException { Status: 401 or 403 } http => $"The model refused the credentials (HTTP {http.Status}); check Model:ApiKey.",
        ClientResultException { Status: > 0 } http => $"The model failed (HTTP {http.Status}).",
        TimeoutException timeout => timeout.Message,
        _ => "The model's stream broke off.",
    };

    private static string ToFinishReason(ChatFinishReason reason) =>
        reason == ChatFinishReason.Length ? FinishReasons.Length : FinishReasons.Stop;

    private static TokenUsage ToTokenUsage(UsageDetails details) => new(
        details.InputTokenCount ?? 0,
        details.OutputTokenCount ?? 0,
        details.TotalTokenCount ?? (details.InputTokenCount ?? 0) + (details.OutputTokenCount ?? 0));
}
