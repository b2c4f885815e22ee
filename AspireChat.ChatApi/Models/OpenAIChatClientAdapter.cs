using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using OpenAIChatMessage = OpenAI.Chat.ChatMessage;

namespace AspireChat.ChatApi.Models;

/// <summary>
/// <see cref="IChatClient"/> over the official OpenAI SDK's <see cref="ChatClient"/>
/// (Microsoft.Extensions.AI.OpenAI, which does this, does not restore here). Serves any
/// OpenAI-compatible endpoint. The SDK does not instrument streaming calls; the reply span and
/// ChatTelemetry's GenAI metrics cover them.
/// </summary>
public sealed class OpenAIChatClientAdapter(ChatClient chatClient, string modelName, Uri? endpoint) : IChatClient
{
    public const string ProviderName = "openai";

    private readonly ChatClientMetadata _metadata = new(ProviderName, endpoint, modelName);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<AIChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var completionOptions = new ChatCompletionOptions { MaxOutputTokenCount = options?.MaxOutputTokens };
        await foreach (var update in chatClient.CompleteChatStreamingAsync(messages.Select(ToOpenAI), completionOptions, cancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                if (!string.IsNullOrEmpty(part.Text))
                {
                    yield return new ChatResponseUpdate(ChatRole.Assistant, part.Text) { ModelId = update.Model, ResponseId = update.CompletionId };
                }
            }

            if (update.FinishReason is { } finishReason || update.Usage is not null)
            {
                var last = new ChatResponseUpdate { Role = ChatRole.Assistant, ModelId = update.Model, ResponseId = update.CompletionId };
                if (update.FinishReason is { } reason)
                {
                    last.FinishReason = ToFinishReason(reason);
                }

                if (update.Usage is { } usage)
                {
                    last.Contents = [new UsageContent(new UsageDetails
                    {
                        InputTokenCount = usage.InputTokenCount,
                        OutputTokenCount = usage.OutputTokenCount,
                        TotalTokenCount = usage.TotalTokenCount,
                    })];
                }

                yield return last;
            }
        }
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<AIChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType == typeof(ChatClient) ? chatClient
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    private static OpenAIChatMessage ToOpenAI(AIChatMessage message) =>
        message.Role == ChatRole.System ? new SystemChatMessage(message.Text)
        : message.Role == ChatRole.Assistant ? new AssistantChatMessage(message.Text)
        : new UserChatMessage(message.Text);

    private static Microsoft.Extensions.AI.ChatFinishReason ToFinishReason(OpenAI.Chat.ChatFinishReason reason) => reason switch
    {
        OpenAI.Chat.ChatFinishReason.Length => Microsoft.Extensions.AI.ChatFinishReason.Length,
        OpenAI.Chat.ChatFinishReason.ContentFilter => Microsoft.Extensions.AI.ChatFinishReason.ContentFilter,
        OpenAI.Chat.ChatFinishReason.ToolCalls or OpenAI.Chat.ChatFinishReason.FunctionCall => Microsoft.Extensions.AI.ChatFinishReason.ToolCalls,
        _ => Microsoft.Extensions.AI.ChatFinishReason.Stop,
    };
}
