using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AspireChat.ChatApi.Models;

/// <summary>
/// Lets go of what the provider attaches to each streamed update that nothing above needs, as soon as the update is
/// made: the update's <see cref="ChatResponseUpdate.RawRepresentation"/> (for OpenAI, the SDK's
/// <c>StreamingChatCompletionUpdate</c> with the chunk's JSON), each content's (for OpenAI, the SDK's
/// <c>ChatMessageContentPart</c> behind each text), and the update's own copy of the response id (the SDK reads the
/// same id out of every chunk into a new string): every update of a response gets the first update's string.
/// </summary>
/// <remarks>
/// The OpenTelemetry middleware above keeps every update of a reply until the reply ends, to build the response its
/// span describes: what the update holds is kept for the whole reply, and what a reply keeps is what the garbage
/// collector copies and promotes. With the SDK's objects attached, a 500-token reply held up to 2 KB per token
/// (docs/benchmarks.md, issue 11: the in-memory relay ceiling rose by about a fifth once they were dropped); after
/// that, the id was about a quarter of the 430–460 bytes kept per token (bench/findings.md, issue 18's seventh look).
/// Nothing in ChatApi reads the raw update, and the ids keep their values. Registered innermost, just above the
/// provider's client.
/// </remarks>
public sealed class RawUpdateReleasingChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? responseId = null;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            update.RawRepresentation = null;
            // Indexed, not LINQ: this runs once per token.
            for (var i = 0; i < update.Contents.Count; i++)
            {
                update.Contents[i].RawRepresentation = null;
            }

            responseId ??= update.ResponseId;
            if (update.ResponseId == responseId)
            {
                update.ResponseId = responseId;
            }

            if (update.MessageId == responseId)
            {
                // The OpenAI adapter gives the message the response's id.
                update.MessageId = responseId;
            }

            yield return update;
        }
    }
}
