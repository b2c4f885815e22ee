using AspireChat.ChatApi.Conversations;
using Microsoft.Extensions.AI;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// How the prompt is built: the system prompt, as much of the branch's recent history as
/// <see cref="ChatServiceOptions.HistoryBudgetCharacters"/> holds (the oldest left out first), then the user message.
/// </summary>
public static class ChatPrompt
{
    public static List<ChatMessage> Build(ChatServiceOptions options, IReadOnlyList<ConversationMessage> history, string content)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(content);
        var budget = options.HistoryBudgetCharacters - content.Length;
        var kept = new Stack<ChatMessage>();
        for (var i = history.Count - 1; i >= 0 && budget > 0; i--)
        {
            var message = history[i];
            if (message.Content.Length == 0 || (budget -= message.Content.Length) < 0)
            {
                continue;
            }

            kept.Push(new ChatMessage(message.Role == MessageRoles.User ? ChatRole.User : ChatRole.Assistant, message.Content));
        }

        List<ChatMessage> prompt = [];
        if (options.SystemPrompt.Length > 0)
        {
            prompt.Add(new ChatMessage(ChatRole.System, options.SystemPrompt));
        }

        prompt.AddRange(kept);
        prompt.Add(new ChatMessage(ChatRole.User, content));
        return prompt;
    }
}
