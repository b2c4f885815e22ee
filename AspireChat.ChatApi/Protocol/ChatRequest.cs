namespace AspireChat.ChatApi.Protocol;

/// <summary>The body of <c>POST /api/chat</c>: a message frame without its type.</summary>
public sealed record ChatRequest(string? Content, string? ConversationId, string? Id);
