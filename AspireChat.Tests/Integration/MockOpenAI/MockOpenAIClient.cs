using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using AspireChat.MockOpenAI;
using OpenAI;
using OpenAI.Chat;

namespace AspireChat.Tests.Integration.MockOpenAI;

/// <summary>The real OpenAI SDK pointed at a mock, without retries so each fault is seen once.</summary>
internal static class MockOpenAIClient
{
    public static ChatClient Create(MockOpenAIServer mock, string model) =>
        new(model, new ApiKeyCredential("test-key"), new OpenAIClientOptions
        {
            Endpoint = mock.BaseAddress,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

    /// <summary>Streams a reply and collects its text, finish reason and usage as the SDK reports them.</summary>
    public static async Task<StreamedReply> StreamAsync(ChatClient client, IEnumerable<ChatMessage> messages, CancellationToken cancellationToken, ChatCompletionOptions? options = null)
    {
        var reply = new StreamedReply();
        await StreamIntoAsync(client, messages, reply, cancellationToken, options);
        return reply;
    }

    /// <summary>Streams into <paramref name="reply"/>, so what arrived before a failure can still be asserted.</summary>
    public static async Task StreamIntoAsync(ChatClient client, IEnumerable<ChatMessage> messages, StreamedReply reply, CancellationToken cancellationToken, ChatCompletionOptions? options = null)
    {
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options, cancellationToken))
        {
            reply.Add(update);
        }
    }
}

/// <summary>What a streamed reply delivered, kept even when the stream later throws.</summary>
internal sealed class StreamedReply
{
    private readonly StringBuilder _text = new();

    public string Text => _text.ToString();

    /// <summary>Content parts with text: one per token.</summary>
    public int ContentUpdates { get; private set; }

    public ChatFinishReason? FinishReason { get; private set; }

    public ChatTokenUsage? Usage { get; private set; }

    public void Add(StreamingChatCompletionUpdate update)
    {
        // The role chunk carries an empty content part, as OpenAI's does: only text counts.
        foreach (var part in update.ContentUpdate.Where(p => !string.IsNullOrEmpty(p.Text)))
        {
            _text.Append(part.Text);
            ContentUpdates++;
        }

        FinishReason ??= update.FinishReason;
        Usage ??= update.Usage;
    }
}
