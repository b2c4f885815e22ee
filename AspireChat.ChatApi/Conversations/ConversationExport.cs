using System.Globalization;
using System.Text;

namespace AspireChat.ChatApi.Conversations;

/// <summary>The body of <c>PATCH /api/conversations/{id}</c>.</summary>
public sealed record RenameRequest(string? Title);

/// <summary>A renamed conversation: its title as stored (trimmed and cut to length).</summary>
public sealed record RenamedConversation(string Id, string Title);

/// <summary>
/// A conversation as exported (<c>GET /api/conversations/{id}/export</c>): the active branch, root
/// first, or every message of the tree, oldest first, each with its parent.
/// </summary>
public sealed record ConversationExport(string Id, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? ActiveLeafId, string Branches, IReadOnlyList<ConversationMessage> Messages)
{
    public const string ActiveBranch = "active";
    public const string AllBranches = "all";

    public static ConversationExport From(Conversation conversation, bool allBranches)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var tree = new ConversationTree(conversation.Messages);
        return new ConversationExport(conversation.Id, conversation.Title, conversation.CreatedAt, conversation.UpdatedAt, conversation.ActiveLeafId,
            allBranches ? AllBranches : ActiveBranch,
            allBranches ? [.. DepthFirst(tree, null)] : tree.PathTo(conversation.ActiveLeafId));
    }

    /// <summary>
    /// Markdown: the title, then each message under a heading with its role. The whole tree is written
    /// depth first, each heading saying which alternative of its siblings it is and what it follows.
    /// </summary>
    public string ToMarkdown()
    {
        var tree = new ConversationTree(Messages);
        var all = Branches == AllBranches;
        var text = new StringBuilder();
        text.Append("# ").AppendLine(Title.ReplaceLineEndings(" ")).AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"_Exported from AspireChat; updated {UpdatedAt:u}; {(all ? "every branch" : "the active branch")}, {Messages.Count} messages._").AppendLine().AppendLine();
        foreach (var message in Messages)
        {
            text.Append("## ").Append(message.Role == MessageRoles.User ? "You" : "Assistant");
            if (all)
            {
                var siblings = tree.Children(message.ParentId is { } p && tree.Find(p) is not null ? p : null);
                var position = siblings.Count > 1 ? $" · alternative {IndexOf(siblings, message) + 1} of {siblings.Count}" : "";
                text.Append(CultureInfo.InvariantCulture, $"{position} · `{Code(message.Id)}`{(message.ParentId is { } parent ? $" after `{Code(parent)}`" : "")}");
            }

            text.AppendLine().AppendLine();
            text.AppendLine(message.Content.TrimEnd());
            if (message.FinishReason is { } reason && reason != "stop")
            {
                text.AppendLine().Append(CultureInfo.InvariantCulture, $"_({reason})_").AppendLine();
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private static int IndexOf(IReadOnlyList<ConversationMessage> siblings, ConversationMessage message)
    {
        for (var i = 0; i < siblings.Count; i++)
        {
            if (siblings[i].Id == message.Id)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Code(string id) => id.Replace('`', '\'');

    private static IEnumerable<ConversationMessage> DepthFirst(ConversationTree tree, string? parentId)
    {
        // Iterative, so a deep conversation cannot overflow the stack.
        var stack = new Stack<ConversationMessage>(tree.Children(parentId).Reverse());
        while (stack.TryPop(out var message))
        {
            yield return message;
            foreach (var child in tree.Children(message.Id).Reverse())
            {
                stack.Push(child);
            }
        }
    }
}
