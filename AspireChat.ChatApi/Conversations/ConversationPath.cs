namespace AspireChat.ChatApi.Conversations;

/// <summary>
/// One branch of a conversation, read for a turn without the rest of the tree (<see cref="IConversationStore.GetPathAsync"/>):
/// the conversation's metadata, the messages from the message the read started at up its parents, root first, and
/// whether the id the client gave its new message is taken already.
/// </summary>
/// <remarks>
/// <see cref="Messages"/> ends with the message the read started from (the active leaf, or the message asked for) and
/// is empty when there is no such message. It starts at a root, at a message whose parent is gone (trimmed by
/// <c>Conversations:MaxMessages</c>), or where the history budget ran out (<see cref="Walk"/>).
/// </remarks>
public sealed record ConversationPath(
    string Id,
    string Title,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? ActiveLeafId,
    IReadOnlyList<ConversationMessage> Messages,
    bool IdTaken = false)
{
    /// <summary>
    /// The path from <paramref name="fromId"/> up its parents, root first: the message itself and its parent whatever
    /// their length (a regenerate needs the reply and the message it answers), then each further ancestor while their
    /// characters (UTF-16, as a prompt counts them) stay within <paramref name="maxCharacters"/>. The prompt keeps no
    /// more of the history than that (<c>Chat:HistoryBudgetCharacters</c>), so it is built as from the whole branch.
    /// Redis' path script walks the same way (RedisConversationStore).
    /// </summary>
    public static IReadOnlyList<ConversationMessage> Walk(Func<string, ConversationMessage?> find, string? fromId, int maxCharacters)
    {
        ArgumentNullException.ThrowIfNull(find);
        List<ConversationMessage> path = [];
        HashSet<string> seen = new(StringComparer.Ordinal);
        var spent = 0L;
        // The seen set stops a cycle that only corrupt data could hold.
        for (var message = fromId is null ? null : find(fromId); message is not null && seen.Add(message.Id); message = message.ParentId is { } parent ? find(parent) : null)
        {
            if (path.Count >= 2 && (spent += message.Content.Length) > maxCharacters)
            {
                break;
            }

            path.Add(message);
        }

        path.Reverse();
        return path;
    }
}
