using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AspireChat.ChatApi.Models;

/// <summary>
/// Tells the caller which span its model call had: the first update of each streamed call carries the id of the
/// <c>chat {model}</c> span that Microsoft.Extensions.AI's OpenTelemetry middleware opened around it, under
/// <see cref="SpanIdProperty"/>. A rating of the reply is later linked to exactly that call (docs/design.md,
/// "Feedback"). Registered just inside the OpenTelemetry middleware, where that span is the current one.
/// </summary>
public sealed class ModelSpanChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    /// <summary>The key of the span id (W3C hex) in the first update's <see cref="ChatResponseUpdate.AdditionalProperties"/>.</summary>
    public const string SpanIdProperty = "aspirechat.model_span_id";

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var spanId = Activity.Current?.SpanId.ToHexString();
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            if (spanId is not null)
            {
                (update.AdditionalProperties ??= [])[SpanIdProperty] = spanId;
                spanId = null;
            }

            yield return update;
        }
    }

    /// <summary>The span id an update carries, if it is the first of its call.</summary>
    public static string? SpanIdOf(ChatResponseUpdate update) =>
        update?.AdditionalProperties is { } properties && properties.TryGetValue(SpanIdProperty, out var value) ? value as string : null;
}
