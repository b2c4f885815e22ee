using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AspireChat.ChatApi.Models;

/// <summary>
/// Lets go of the provider's own objects behind each streamed update as soon as the update is made: the update's
/// <see cref="ChatResponseUpdate.RawRepresentation"/> (for OpenAI, the SDK's <c>StreamingChatCompletionUpdate</c> with
/// the chunk's JSON) and each content's (for OpenAI, the SDK's <c>ChatMessageContentPart</c> behind each text).
/// </summary>
/// <remarks>
/// The OpenTelemetry middleware above keeps every update of a reply until the reply ends, to build the response its
/// span describes. With the SDK's objects attached, a 500-token reply held up to 2 KB per token that outlived the
/// young generation, so the garbage collector promoted and re-scanned it (docs/benchmarks.md, issue 11: the in-memory
/// relay ceiling rose by about a fifth once they were dropped). Nothing in ChatApi reads the raw update. Registered
/// innermost, just above the provider's client.
/// </remarks>
public sealed class RawUpdateReleasingChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            update.RawRepresentation = null;
            // Indexed, not LINQ: this runs once per token.
            for (var i = 0; i < update.Contents.Count; i++)
            {
                update.Contents[i].RawRepresentation = null;
            }

            yield return update;
        }
    }
}
