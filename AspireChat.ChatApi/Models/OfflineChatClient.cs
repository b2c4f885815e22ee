using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Models;

/// <summary>
/// The model used when none is configured: deterministic, no network. It says what it is, how to
/// configure a real model, and answers from the conversation (quoting the user's message), one
/// word at a time, paced like a real model.
/// </summary>
public sealed partial class OfflineChatClient(IOptions<ModelOptions> modelOptions, TimeProvider timeProvider) : IChatClient
{
    public const string ModelName = "offline";
    public const string ProviderName = "aspirechat.offline";

    private static readonly ChatClientMetadata s_metadata = new(ProviderName, defaultModelId: ModelName);

    /// <summary>The whole reply the offline model gives to <paramref name="messages"/>.</summary>
    public static string Reply(IReadOnlyList<ChatMessage> messages)
    {
        var userMessages = messages.Where(m => m.Role == ChatRole.User).ToList();
        var latest = userMessages.LastOrDefault()?.Text ?? "";
        var earlier = messages.Count(m => m.Role != ChatRole.System) - 1;

        var reply = new StringBuilder();
        reply.Append("I'm AspireChat's **offline model**: I run inside ChatApi with no network and no API key, so the whole app works anywhere. You wrote:\n\n");
        foreach (var line in latest.Split('\n'))
        {
            reply.Append("> ").Append(line.TrimEnd('\r')).Append('\n');
        }

        reply.Append('\n');
        reply.Append(earlier <= 0
            ? "This is the first message of our conversation."
            : $"Before it, this conversation holds {earlier} messages; it began with \"{Shorten(userMessages[0].Text, 60)}\".");
        reply.Append("\n\nTo talk to a real model, set `Model__ApiKey` (OpenAI), or `Model__Endpoint` and `Model__Name` for any OpenAI-compatible server such as Ollama or vLLM. Under the AppHost, set the `openai-api-key` parameter once in user secrets.");
        return reply.ToString();
    }

    /// <summary>Splits text the way the offline model streams it: a word with the spaces after it.</summary>
    public static IEnumerable<string> Tokenize(string text) => TokenPattern().Matches(text).Select(match => match.Value);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = messages.ToList();
        var pacing = modelOptions.Value.Offline;
        var tokens = Tokenize(Reply(prompt)).ToList();
        var limit = options?.MaxOutputTokens ?? int.MaxValue;
        var interval = pacing.TokensPerSecond > 0 ? TimeSpan.FromSeconds(1 / pacing.TokensPerSecond) : TimeSpan.Zero;

        await Delay(pacing.TimeToFirstToken, cancellationToken);
        var responseId = Guid.NewGuid().ToString("N");
        var sent = 0;
        foreach (var token in tokens.Take(limit))
        {
            if (sent++ > 0)
            {
                await Delay(interval, cancellationToken);
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, token) { ModelId = ModelName, ResponseId = responseId };
        }

        var inputTokens = prompt.Sum(m => Tokenize(m.Text).Count());
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ModelId = ModelName,
            ResponseId = responseId,
            FinishReason = sent < tokens.Count ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = sent, TotalTokenCount = inputTokens + sent })],
        };
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? s_metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    private Task Delay(TimeSpan delay, CancellationToken cancellationToken) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, timeProvider, cancellationToken) : Task.CompletedTask;

    private static string Shorten(string text, int length)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= length ? line : line[..length] + "…";
    }

    [GeneratedRegex(@"\S+\s*|\s+")]
    private static partial Regex TokenPattern();
}
