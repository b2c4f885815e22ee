using System.Text;
using System.Text.Json;

namespace AspireChat.MockOpenAI;

/// <summary>One message of a request's prompt; a content given as parts is joined into its text.</summary>
public sealed record MockChatMessage(string Role, string Content);

/// <summary>
/// A <c>POST /v1/chat/completions</c> body as the mock read it, kept so tests can assert the prompt and history sent.
/// </summary>
/// <param name="Model">The model name, which also tells the mock how to behave (see <see cref="MockModel"/>).</param>
/// <param name="Stream">Whether the client asked for server-sent events.</param>
/// <param name="Messages">The prompt, history included, in the order sent.</param>
/// <param name="MaxTokens"><c>max_completion_tokens</c>, or the older <c>max_tokens</c>, when given.</param>
/// <param name="IncludeUsage"><c>stream_options.include_usage</c>.</param>
/// <param name="Authorization">The request's Authorization header (e.g. <c>Bearer key</c>).</param>
/// <param name="Body">The raw JSON body, for assertions on fields the record does not lift out.</param>
public sealed record MockChatRequest(
    string Model,
    bool Stream,
    IReadOnlyList<MockChatMessage> Messages,
    int? MaxTokens,
    bool IncludeUsage,
    string? Authorization,
    string Body)
{
    /// <summary>The request's protocol as Kestrel names it (<c>HTTP/1.1</c>, <c>HTTP/2</c>).</summary>
    public string Protocol { get; init; } = "";

    /// <summary>Kestrel's id of the connection the request came on: requests multiplexed over HTTP/2 share one.</summary>
    public string ConnectionId { get; init; } = "";

    /// <summary>Reads an OpenAI chat completions body; <paramref name="error"/> says why when it cannot.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, string? authorization, out MockChatRequest? request, out string? error)
    {
        request = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The body must be a JSON object.";
                return false;
            }

            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || model.GetString() is not { Length: > 0 } modelName)
            {
                error = "you must provide a model parameter";
                return false;
            }

            if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            {
                error = "Missing required parameter: 'messages'.";
                return false;
            }

            var stream = root.TryGetProperty("stream", out var streamFlag) && streamFlag.ValueKind == JsonValueKind.True;
            var includeUsage = root.TryGetProperty("stream_options", out var streamOptions)
                && streamOptions.ValueKind == JsonValueKind.Object
                && streamOptions.TryGetProperty("include_usage", out var usage)
                && usage.ValueKind == JsonValueKind.True;

            request = new MockChatRequest(
                modelName,
                stream,
                [.. messages.EnumerateArray().Select(ReadMessage)],
                ReadInt(root, "max_completion_tokens") ?? ReadInt(root, "max_tokens"),
                includeUsage,
                authorization,
                Encoding.UTF8.GetString(body.Span));
            error = null;
            return true;
        }
        catch (JsonException exception)
        {
            error = $"We could not parse the JSON body of your request. ({exception.Message})";
            return false;
        }
        catch (InvalidOperationException exception)
        {
            // A field of the wrong JSON type (e.g. a number where text belongs).
            error = $"Invalid request: {exception.Message}";
            return false;
        }
    }

    private static MockChatMessage ReadMessage(JsonElement message)
    {
        var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
        if (!message.TryGetProperty("content", out var content))
        {
            return new MockChatMessage(role, "");
        }

        var text = content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            JsonValueKind.Array => string.Concat(content.EnumerateArray()
                .Where(part => part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out _))
                .Select(part => part.GetProperty("text").GetString())),
            _ => "",
        };
        return new MockChatMessage(role, text);
    }

    private static int? ReadInt(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;

    /// <summary>The prompt's size in the mock's units: whitespace-separated words over all messages.</summary>
    public int PromptTokens => Messages.Sum(m => m.Content.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
}
