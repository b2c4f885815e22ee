namespace AspireChat.ChatApi.Shares;

/// <summary>
/// What a share shows, as <c>GET /api/shares/{shareId}</c> answers it and as it is stored: the title and the
/// branch that was active when it was made, with nothing that names the owner, the conversation or any other
/// branch.
/// </summary>
public sealed record SharedConversation(string Title, DateTimeOffset SharedAt, DateTimeOffset ExpiresAt, IReadOnlyList<SharedMessage> Messages);

/// <summary>One message of a share.</summary>
public sealed record SharedMessage(string Role, string Content, DateTimeOffset CreatedAt);

/// <summary>A share as its owner's list holds it (not in the share itself).</summary>
public sealed record ShareListing(string ConversationId, string Title, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>The answer of <c>POST /api/conversations/{id}/share</c>: the id, and the page's address.</summary>
public sealed record ShareCreated(string ShareId, string Url, DateTimeOffset ExpiresAt);

/// <summary>One of the caller's shares, in <c>GET /api/shares</c>.</summary>
public sealed record ShareSummary(string ShareId, string Url, string ConversationId, string Title, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>The answer of <c>POST /api/shares/{shareId}/copy</c>: the caller's new conversation.</summary>
public sealed record CopiedConversation(string ConversationId);
