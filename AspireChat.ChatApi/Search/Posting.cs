namespace AspireChat.ChatApi.Search;

/// <summary>
/// The conversations one word is in, as <see cref="InMemorySearchIndex"/> keeps them. Most of an owner's words are in
/// one conversation, so that one is held as it is and a set is made only for a second: a set per word had made the
/// index most of a busy in-memory ChatApi's heap (docs/benchmarks.md, "Issue 18, third look"). A mutable struct, so it
/// costs nothing beside its dictionary entry: change it only through a reference into the dictionary.
/// </summary>
internal struct Posting
{
    private string? _only;
    private HashSet<string>? _many;

    public readonly int Count => _many?.Count ?? (_only is null ? 0 : 1);

    public readonly IEnumerable<string> ConversationIds => _many ?? (_only is null ? [] : [_only]);

    public readonly bool Contains(string conversationId) => _many?.Contains(conversationId) ?? string.Equals(_only, conversationId, StringComparison.Ordinal);

    public void Add(string conversationId)
    {
        if (_many is not null)
        {
            _many.Add(conversationId);
        }
        else if (_only is null || string.Equals(_only, conversationId, StringComparison.Ordinal))
        {
            _only = conversationId;
        }
        else
        {
            _many = new HashSet<string>(StringComparer.Ordinal) { _only, conversationId };
            _only = null;
        }
    }

    /// <summary>Takes the conversation out; whether it was there.</summary>
    public bool Remove(string conversationId)
    {
        if (_many is not null)
        {
            return _many.Remove(conversationId);
        }

        if (!string.Equals(_only, conversationId, StringComparison.Ordinal))
        {
            return false;
        }

        _only = null;
        return true;
    }
}
