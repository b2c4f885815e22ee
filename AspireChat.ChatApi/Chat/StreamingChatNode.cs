using System.ClientModel;
using System.Diagnostics;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Flow;
using AspireChat.ChatApi.Models;
using AspireChat.ChatApi.Protocol;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Chat;

/// <summary>What prep hands to exec: the prompt, and where the reply goes.</summary>
public sealed record ChatPrompt(string ConversationId, IReadOnlyList<ChatMessage> Messages, ConversationMessage UserMessage, LiveReply Reply, CancellationToken StopToken);

/// <summary>What exec hands to post: the reply as far as it got, and the span of the model call that wrote it.</summary>
public sealed record ChatReply(string Text, string FinishReason, TokenUsage? Usage, Exception? Error = null, string? ModelSpanId = null);

/// <summary>
/// The heart of AspireChat, one async streaming node:
/// prep reads the conversation and builds the prompt; exec streams the model's reply, forwarding
/// every chunk the moment it arrives; post appends the user message and the reply to history.
/// </summary>
public sealed class StreamingChatNode(
    IConversationStore store,
    IReplyBroker broker,
    IChatClient model,
    IOptions<ChatServiceOptions> chatOptions,
    IOptions<ModelOptions> modelOptions,
    IOptions<ConversationOptions> conversationOptions,
    TimeProvider timeProvider,
    ILogger<StreamingChatNode> logger)
    : AsyncNode<ChatTurn, ChatPrompt, ChatReply>(modelOptions.Value.MaxAttempts, modelOptions.Value.RetryWait)
{
    private readonly string _modelName = model.GetService<ChatClientMetadata>()?.DefaultModelId ?? modelOptions.Value.Name;

    protected override async Task<ChatPrompt> PrepAsync(ChatTurn turn, CancellationToken cancellationToken)
    {
        var conversation = await LoadOrCreateAsync(turn, cancellationToken)
            ?? throw new ChatTurnRejectedException(new ErrorFrame(ErrorCodes.NotFound, "No such conversation.") { ConversationId = turn.ConversationId });

        // Checked before the claim: a message that names nothing it can hang under writes nothing.
        var (userMessage, history) = Place(turn, conversation);
        if (await ClaimAsync(turn, userMessage, cancellationToken) == ClaimResult.ClaimedAfterInterrupted)
        {
            // Claiming may have saved an interrupted reply (its producer died); the prompt includes it.
            conversation = await store.GetAsync(turn.OwnerId, conversation.Id, cancellationToken) ?? conversation;
            (userMessage, history) = Place(turn, conversation);
        }

        turn.Published = broker.Publish(turn, userMessage);
        return new ChatPrompt(conversation.Id, BuildPrompt(history, turn.Content), userMessage, turn.Reply, turn.StopToken);
    }

    protected override async Task<ChatReply> ExecAsync(ChatPrompt prompt, CancellationToken cancellationToken)
    {
        var reply = prompt.Reply;
        reply.Start(prompt.ConversationId, _modelName, prompt.UserMessage.Id);

        var idleTimeout = modelOptions.Value.StreamIdleTimeout;
        // Re-arming the timeout on every token contends on the runtime's timer lock (the benchmark's
        // profile showed it), so it is re-armed at most every tenth of the timeout (and every second).
        var rearmEvery = TimeSpan.FromTicks(Math.Min(idleTimeout.Ticks / 10, TimeSpan.TicksPerSecond));
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, prompt.StopToken);
        call.CancelAfter(idleTimeout);
        var armed = timeProvider.GetTimestamp();
        var options = new ChatOptions { ModelId = _modelName, MaxOutputTokens = modelOptions.Value.MaxOutputTokens };
        string? finishReason = null;
        TokenUsage? usage = null;
        string? modelSpanId = null;
        try
        {
            await foreach (var update in model.GetStreamingResponseAsync(prompt.Messages, options, call.Token))
            {
                if (timeProvider.GetElapsedTime(armed) >= rearmEvery)
                {
                    call.CancelAfter(idleTimeout);
                    armed = timeProvider.GetTimestamp();
                }

                if (!string.IsNullOrEmpty(update.Text) && reply.Append(update.Text) == 1)
                {
                    RecordFirstChunk(reply.Activity, prompt.UserMessage.CreatedAt);
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
        catch (OperationCanceledException) when (prompt.StopToken.IsCancellationRequested)
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

    protected override Task<ChatReply> ExecFallbackAsync(ChatPrompt prompt, Exception exception, CancellationToken cancellationToken) =>
        Task.FromResult(new ChatReply("", FinishReasons.Error, null, exception));

    protected override async Task<string?> PostAsync(ChatTurn turn, ChatPrompt prompt, ChatReply result, CancellationToken cancellationToken)
    {
        var reply = prompt.Reply;
        if (result.Error is { } error)
        {
            ChatLog.ModelFailed(logger, error, reply.ConversationId);
            reply.Fail(ErrorCodes.ModelError, DescribeModelFailure(error));
        }

        // With the reply's telemetry, so that a rating given later can be tied to the trace (Feedback/).
        var assistantMessage = new ConversationMessage(reply.MessageId, MessageRoles.Assistant, result.Text, timeProvider.GetUtcNow(), result.FinishReason, result.Usage,
            TraceId: reply.Activity?.TraceId.ToHexString(), SpanId: reply.Activity?.SpanId.ToHexString(), ModelSpanId: result.ModelSpanId, Model: _modelName);
        switch (await SaveTurnAsync(turn, prompt.UserMessage, assistantMessage, cancellationToken))
        {
            case SaveOutcome.Failed:
                reply.Fail(ErrorCodes.HistoryNotSaved, "The reply was streamed, but it could not be saved to history.");
                break;
            case SaveOutcome.ConversationGone:
                // Deleted meanwhile, or lost by the store (a Redis without persistence restarted): say so either way.
                reply.Fail(ErrorCodes.HistoryNotSaved, "The conversation no longer exists, so the reply was not saved.");
                break;
        }

        RecordEnd(reply.Activity, result);
        turn.ReleaseConversation?.Invoke(turn);
        reply.End(result.FinishReason, result.Usage);
        return null;
    }

    private async Task<Conversation?> LoadOrCreateAsync(ChatTurn turn, CancellationToken cancellationToken)
    {
        try
        {
            if (turn.ConversationId is { } conversationId)
            {
                var existing = await store.GetAsync(turn.OwnerId, conversationId, cancellationToken);
                turn.Reply.Activity?.SetTag("gen_ai.conversation.id", existing?.Id);
                return existing;
            }

            var created = await store.CreateAsync(turn.OwnerId, Title(turn.Content), cancellationToken);
            turn.ConversationId = created.Id;
            turn.ConversationCreated?.Invoke(turn);
            turn.Reply.Activity?.SetTag("gen_ai.conversation.id", created.Id);
            return new Conversation(created.Id, created.Title, created.CreatedAt, created.UpdatedAt, []);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            ChatLog.StoreUnavailable(logger, exception);
            throw new ChatTurnRejectedException(new ErrorFrame(ErrorCodes.StoreUnavailable, "The conversation store is unavailable; your message was not taken. Try again shortly.")
            {
                ConversationId = turn.ConversationId,
            });
        }
    }

    /// <summary>
    /// Where the turn goes in the conversation's tree: the user message the reply answers (new, or the
    /// stored one a regenerate answers again) with its parent, and the branch above it, root first,
    /// which the prompt is built from. A message id that is not in the conversation is refused.
    /// </summary>
    private static (ConversationMessage UserMessage, IReadOnlyList<ConversationMessage> History) Place(ChatTurn turn, Conversation conversation)
    {
        var tree = new ConversationTree(conversation.Messages);
        // No messageId on these errors: a connection drops a repeat of a reply's error, and there is no reply.
        var notFound = new ErrorFrame(ErrorCodes.NotFound, $"No message \"{turn.TargetMessageId}\" in this conversation.") { ConversationId = conversation.Id };
        if (turn.ClientMessageId is { } clientId && turn.Kind != TurnKind.Regenerate && tree.Find(clientId) is not null)
        {
            throw new ChatTurnRejectedException(new ErrorFrame(ErrorCodes.InvalidFrame, $"The id \"{clientId}\" is taken by a message of this conversation.") { ConversationId = conversation.Id });
        }

        switch (turn.Kind)
        {
            case TurnKind.Regenerate:
            {
                var target = tree.Find(turn.TargetMessageId!) ?? throw new ChatTurnRejectedException(notFound);
                var asked = target.Role == MessageRoles.User ? target : target.ParentId is { } parent ? tree.Find(parent) : null;
                if (asked is not { Role: MessageRoles.User })
                {
                    throw new ChatTurnRejectedException(new ErrorFrame(ErrorCodes.InvalidTarget, "That reply answers no stored message, so it cannot be regenerated.") { ConversationId = conversation.Id });
                }

                turn.Content = asked.Content;
                return (asked, tree.PathTo(asked.ParentId));
            }

            case TurnKind.Edit:
            {
                var target = tree.Find(turn.TargetMessageId!) ?? throw new ChatTurnRejectedException(notFound);
                if (target.Role != MessageRoles.User)
                {
                    throw new ChatTurnRejectedException(new ErrorFrame(ErrorCodes.InvalidTarget, "Only your own messages can be edited; regenerate a reply instead.") { ConversationId = conversation.Id });
                }

                var edited = new ConversationMessage(turn.ClientMessageId ?? ConversationIds.New(), MessageRoles.User, turn.Content, turn.ReceivedAt, ParentId: target.ParentId);
                return (edited, tree.PathTo(target.ParentId));
            }

            default:
            {
                var leaf = conversation.ActiveLeafId;
                var message = new ConversationMessage(turn.ClientMessageId ?? ConversationIds.New(), MessageRoles.User, turn.Content, turn.ReceivedAt, ParentId: leaf);
                return (message, tree.PathTo(leaf));
            }
        }
    }

    /// <summary>Claims the conversation for this reply across instances: one reply streams per conversation.</summary>
    private async Task<ClaimResult> ClaimAsync(ChatTurn turn, ConversationMessage userMessage, CancellationToken cancellationToken)
    {
        ClaimResult claimed;
        try
        {
            claimed = await broker.ClaimAsync(turn, userMessage, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            ChatLog.StoreUnavailable(logger, exception);
            throw new ChatTurnRejectedException(new ErrorFrame(ErrorCodes.StoreUnavailable, "The conversation store is unavailable; your message was not taken. Try again shortly.")
            {
                ConversationId = turn.ConversationId,
            });
        }

        return claimed != ClaimResult.Busy
            ? claimed
            : throw new ChatTurnRejectedException(new ErrorFrame(ErrorCodes.ConversationBusy, "A reply is still streaming in this conversation; stop it or wait for its end.")
            {
                ConversationId = turn.ConversationId,
            });
    }

    /// <summary>The system prompt, as much recent history as the budget holds (oldest dropped first), the new message.</summary>
    private List<ChatMessage> BuildPrompt(IReadOnlyList<ConversationMessage> history, string content)
    {
        var budget = chatOptions.Value.HistoryBudgetCharacters - content.Length;
        var kept = new Stack<ChatMessage>();
        for (var i = history.Count - 1; i >= 0 && budget > 0; i--)
        {
            var message = history[i];
            if (message.Content.Length == 0 || (budget -= message.Content.Length) < 0)
            {
                continue;
            }

            kept.Push(new ChatMessage(message.Role == MessageRoles.User ? ChatRole.User : ChatRole.Assistant, message.Content));
        }

        List<ChatMessage> prompt = [];
        if (chatOptions.Value.SystemPrompt.Length > 0)
        {
            prompt.Add(new ChatMessage(ChatRole.System, chatOptions.Value.SystemPrompt));
        }

        prompt.AddRange(kept);
        prompt.Add(new ChatMessage(ChatRole.User, content));
        return prompt;
    }

    /// <summary>Writes the turn, retrying with a doubling pause: a store that blinks must not lose a reply.</summary>
    private async Task<SaveOutcome> SaveTurnAsync(ChatTurn turn, ConversationMessage userMessage, ConversationMessage assistantMessage, CancellationToken cancellationToken)
    {
        var wait = chatOptions.Value.HistoryWriteRetryWait;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (await store.AppendTurnAsync(turn.OwnerId, turn.ConversationId!, userMessage, assistantMessage, cancellationToken))
                {
                    return SaveOutcome.Saved;
                }

                ChatLog.ConversationGoneBeforeSave(logger, turn.ConversationId!);
                return SaveOutcome.ConversationGone;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                ChatLog.HistoryWriteFailed(logger, exception, attempt);
                if (attempt >= chatOptions.Value.HistoryWriteAttempts)
                {
                    return SaveOutcome.Failed;
                }
            }

            await Task.Delay(wait, timeProvider, cancellationToken);
            wait *= 2;
        }
    }

    private enum SaveOutcome
    {
        Saved,
        Failed,
        ConversationGone,
    }

    private string Title(string content)
    {
        var line = content.ReplaceLineEndings(" ").Trim();
        var length = conversationOptions.Value.TitleLength;
        return line.Length <= length ? line : line[..length].TrimEnd() + "…";
    }

    private void RecordFirstChunk(Activity? activity, DateTimeOffset receivedAt)
    {
        var elapsed = (timeProvider.GetUtcNow() - receivedAt).TotalSeconds;
        activity?.SetTag(ChatTelemetry.Attributes.TimeToFirstChunk, elapsed);
        activity?.AddEvent(new ActivityEvent(ChatTelemetry.Events.FirstChunk));
        ChatTelemetry.TimeToFirstChunk.Record(elapsed, new KeyValuePair<string, object?>("gen_ai.request.model", _modelName));
    }

    private static void RecordEnd(Activity? activity, ChatReply result)
    {
        if (activity is null)
        {
            return;
        }

        // The model call's own span has its finish reason and token usage; this is the reply's, as the client saw it.
        activity.SetTag(ChatTelemetry.Attributes.FinishReason, result.FinishReason);
        if (result.FinishReason == FinishReasons.Cancelled)
        {
            activity.AddEvent(new ActivityEvent(ChatTelemetry.Events.Stop));
        }

        if (result.Error is { } error)
        {
            activity.SetTag("error.type", error.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }
    }

    private static string DescribeModelFailure(Exception error) => error switch
    {
        ClientResultException { Status: 429 } => "The model is rate limited (HTTP 429). Try again shortly.",
        ClientResultException { Status: 401 or 403 } http => $"The model refused the credentials (HTTP {http.Status}); check Model:ApiKey.",
        ClientResultException { Status: > 0 } http => $"The model failed (HTTP {http.Status}).",
        TimeoutException timeout => timeout.Message,
        _ => "The model's stream broke off.",
    };

    private static string ToFinishReason(Microsoft.Extensions.AI.ChatFinishReason reason) =>
        reason == Microsoft.Extensions.AI.ChatFinishReason.Length ? FinishReasons.Length : FinishReasons.Stop;

    private static TokenUsage ToTokenUsage(UsageDetails details) => new(
        details.InputTokenCount ?? 0,
        details.OutputTokenCount ?? 0,
        details.TotalTokenCount ?? (details.InputTokenCount ?? 0) + (details.OutputTokenCount ?? 0));
}
