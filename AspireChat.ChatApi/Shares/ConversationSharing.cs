using System.Text.Json;
using AspireChat.ChatApi.Conversations;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Shares;

/// <summary>
/// Makes shares from conversations and conversations from shares. A share is a snapshot of the branch on
/// screen (root to active leaf) when it is made: later messages, other branches and every id stay out of it.
/// </summary>
public sealed class ConversationSharing(IConversationStore conversations, IShareStore shares, IOptions<ShareOptions> options, TimeProvider timeProvider)
{
    /// <summary>Shares the owner's conversation; null when it is not theirs, else the share or how long to wait before the next.</summary>
    public async Task<ShareOutcome?> ShareAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        if (!ConversationIds.IsWellFormed(conversationId) || await conversations.GetAsync(ownerId, conversationId, cancellationToken) is not { } conversation)
        {
            return null;
        }

        var now = timeProvider.GetUtcNow();
        var expires = now + options.Value.TimeToLive;
        var branch = new ConversationTree(conversation.Messages).PathTo(conversation.ActiveLeafId);
        var snapshot = new SharedConversation(conversation.Title, now, expires, [.. branch.Select(m => new SharedMessage(m.Role, m.Content, m.CreatedAt))]);
        var shareId = ShareIds.New();
        var wait = await shares.CreateAsync(ownerId, shareId, new ShareListing(conversation.Id, conversation.Title, now, expires),
            JsonSerializer.SerializeToUtf8Bytes(snapshot, SharesJsonContext.Default.SharedConversation), cancellationToken);
        return new ShareOutcome(wait is null ? shareId : null, expires, wait);
    }

    /// <summary>
    /// A new conversation of the caller's holding the share's messages, as questions and their answers; an
    /// answer whose question was trimmed away before the share was made has nothing to hang under and is left
    /// out. Null when the share does not exist (any more).
    /// </summary>
    public async Task<string?> CopyAsync(string ownerId, string shareId, CancellationToken cancellationToken)
    {
        if (!ShareIds.IsWellFormed(shareId) || await shares.GetAsync(shareId, cancellationToken) is not { } json)
        {
            return null;
        }

        var shared = JsonSerializer.Deserialize(json, SharesJsonContext.Default.SharedConversation)!;
        var copy = await conversations.CreateAsync(ownerId, ConversationIds.New(), shared.Title, cancellationToken);
        string? parent = null;
        for (var i = 0; i + 1 < shared.Messages.Count; i++)
        {
            var (asked, answer) = (shared.Messages[i], shared.Messages[i + 1]);
            if (asked.Role != MessageRoles.User || answer.Role != MessageRoles.Assistant)
            {
                continue;
            }

            var user = new ConversationMessage(ConversationIds.New(), MessageRoles.User, asked.Content, asked.CreatedAt, ParentId: parent);
            var reply = new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, answer.Content, answer.CreatedAt);
            if (!await conversations.AppendTurnAsync(ownerId, copy.Id, user, reply, cancellationToken))
            {
                // Deleted by its new owner while it was being filled.
                return null;
            }

            parent = reply.Id;
            i++;
        }

        return copy.Id;
    }
}

/// <summary>A new share's id (null when refused), when it expires, and how long to wait when refused.</summary>
public sealed record ShareOutcome(string? ShareId, DateTimeOffset ExpiresAt, TimeSpan? RetryAfter);
