using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.Chat;

/// <summary>Thrown by prep when a message cannot start a reply; the error goes to the client as is.</summary>
public sealed class ChatTurnRejectedException(ErrorFrame error) : Exception(error.Message)
{
    public ErrorFrame Error { get; } = error;
}
