namespace AspireChat.ChatApi.Search;

/// <summary>
/// The answer of <c>GET /api/search</c>: the matches, newest first (docs/protocol.md). <see cref="Truncated"/>:
/// the search stopped after <c>Search:MaxConversationsScanned</c> candidate conversations, and older ones may
/// hold more.
/// </summary>
public sealed record SearchResponse(IReadOnlyList<SearchResult> Results, bool Truncated);

/// <summary>
/// One match: a message (<see cref="Role"/> <c>user</c> or <c>assistant</c>), or a conversation's title
/// (<see cref="Role"/> <c>title</c>, no <see cref="MessageId"/>). <see cref="Snippet"/> is plain text around
/// the match, on one line; <see cref="Highlights"/> say where in it the query's words are.
/// </summary>
public sealed record SearchResult(
    string ConversationId,
    string? MessageId,
    string Title,
    string Role,
    string Snippet,
    DateTimeOffset CreatedAt,
    IReadOnlyList<SearchHighlight> Highlights);

/// <summary>A matched word in a snippet: UTF-16 offset and length, as JavaScript strings count.</summary>
public sealed record SearchHighlight(int Start, int Length);
