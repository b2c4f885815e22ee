namespace AspireChat.ChatApi.Conversations;

/// <summary>
/// Reads a conversation as the tree it is: who a message's children are, the path from a root to a
/// message (the branch a prompt is built from), and the newest leaf under a message (where a switch
/// lands). Children are in the order they were written, so sibling 1 is the oldest.
/// </summary>
public sealed class ConversationTree
{
    private readonly Dictionary<string, ConversationMessage> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ConversationMessage>> _children = new(StringComparer.Ordinal);
    private readonly List<ConversationMessage> _roots = [];

    public ConversationTree(IReadOnlyList<ConversationMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            _byId[message.Id] = message;
        }

        foreach (var message in messages)
        {
            if (message.ParentId is { } parentId && _byId.ContainsKey(parentId))
            {
                if (!_children.TryGetValue(parentId, out var siblings))
                {
                    _children[parentId] = siblings = [];
                }

                siblings.Add(message);
            }
            else
            {
                _roots.Add(message);
            }
        }
    }

    public ConversationMessage? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>The children of <paramref name="parentId"/>, oldest first; null: the roots.</summary>
    public IReadOnlyList<ConversationMessage> Children(string? parentId) =>
        parentId is null ? _roots : _children.TryGetValue(parentId, out var children) ? children : [];

    /// <summary>The path from a root down to <paramref name="id"/>, root first; empty for an unknown id.</summary>
    public IReadOnlyList<ConversationMessage> PathTo(string? id) => ConversationPath.Walk(Find, id, int.MaxValue);

    /// <summary>Follows the newest child from <paramref name="id"/> down to a leaf: the branch a switch to it shows.</summary>
    public string NewestLeafUnder(string id)
    {
        var leaf = id;
        for (var steps = 0; _children.TryGetValue(leaf, out var children) && children.Count > 0 && steps <= _byId.Count; steps++)
        {
            leaf = children[^1].Id;
        }

        return leaf;
    }

    /// <summary>
    /// The conversation's active leaf: the stored one while it exists, else (a list written before
    /// trees, or a leaf trimmed away) the newest message.
    /// </summary>
    public static string? ActiveLeaf(IReadOnlyList<ConversationMessage> messages, string? storedLeaf)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return storedLeaf is not null && messages.Any(m => m.Id == storedLeaf) ? storedLeaf : messages.Count > 0 ? messages[^1].Id : null;
    }
}
