using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;

namespace AspireChat.Tests.Fakes;

/// <summary>
/// A model the test drives step by step: each call to <see cref="GetStreamingResponseAsync"/>
/// yields exactly what the test writes to <see cref="Steps"/>, when it writes it. An exception
/// written as a step is thrown at that point of the stream.
/// </summary>
public sealed class ScriptedChatClient : IChatClient
{
    private readonly Channel<object> _steps = Channel.CreateUnbounded<object>();

    public ChannelWriter<object> Steps => _steps.Writer;

    /// <summary>The prompts the model was called with, one per call.</summary>
    public List<IReadOnlyList<ChatMessage>> Calls { get; } = [];

    /// <summary>Throw this on the next calls before yielding anything (one per call), then behave.</summary>
    public Queue<Exception> FailBeforeStreaming { get; } = new();

    public void Say(params string[] tokens)
    {
        foreach (var token in tokens)
        {
            Steps.TryWrite(new ChatResponseUpdate(ChatRole.Assistant, token));
        }
    }

    public void Finish(ChatFinishReason? reason = null, long input = 3, long output = 2) =>
        Steps.TryWrite(new ChatResponseUpdate
        {
            FinishReason = reason ?? ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output })],
        });

    public void End() => Steps.TryWrite(EndOfStream.Instance);

    public void Fail(Exception exception) => Steps.TryWrite(exception);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        lock (Calls)
        {
            Calls.Add([.. messages]);
        }

        if (FailBeforeStreaming.TryDequeue(out var early))
        {
            throw early;
        }

        while (true)
        {
            var step = await _steps.Reader.ReadAsync(cancellationToken);
            switch (step)
            {
                case EndOfStream:
                    yield break;
                case Exception exception:
                    throw exception;
                case ChatResponseUpdate update:
                    yield return update;
                    break;
            }
        }
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", defaultModelId: "scripted-model") : null;

    public void Dispose()
    {
    }

    private sealed class EndOfStream
    {
        public static readonly EndOfStream Instance = new();
    }
}
