using AspireChat.ChatApi.Conversations;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Search;

/// <summary>
/// One owner's search: the index names candidate conversations, most recently written first; each is read
/// from the store (a few at a time) and matched there, title and every message of every branch. So only
/// what the store holds now is found, whatever the index still remembers: a conversation that is gone is
/// skipped and forgotten by the index, a trimmed message is simply not there to match. Results are newest
/// first: by conversation, the most recently written first, and within one, the newest message first.
/// </summary>
public sealed class ConversationSearch(IConversationStore store, ISearchIndex index, IOptions<SearchOptions> options, ILogger<ConversationSearch> logger)
{
    /// <summary>Conversations read at once: enough to hide the round trips, few enough not to read far past what is needed.</summary>
    internal const int ReadAhead = 8;

    public async Task<SearchResponse> SearchAsync(string ownerId, SearchQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(query);
        var settings = options.Value;
        var candidates = await index.FindAsync(ownerId, query, settings.MaxConversationsScanned, cancellationToken);
        List<SearchResult> results = [];
        List<string> gone = [];
        var hits = new List<SearchText.WordSpan>();
        var scanned = 0;
        for (var at = 0; at < candidates.ConversationIds.Count && results.Count < settings.MaxResults; at += ReadAhead)
        {
            var batch = candidates.ConversationIds.Skip(at).Take(ReadAhead).ToList();
            var conversations = await Task.WhenAll(batch.Select(id => store.GetAsync(ownerId, id, cancellationToken)));
            for (var i = 0; i < batch.Count && results.Count < settings.MaxResults; i++)
            {
                scanned++;
                if (conversations[i] is not { } conversation)
                {
                    gone.Add(batch[i]);
                    continue;
                }

                Match(conversation, query, hits, results, Math.Min(settings.MaxResultsPerConversation, settings.MaxResults - results.Count));
            }
        }

        if (gone.Count > 0)
        {
            await ForgetAsync(ownerId, gone, query, cancellationToken);
        }

        var truncated = results.Count < settings.MaxResults && scanned < candidates.Total;
        return new SearchResponse(results, truncated);
    }

    /// <summary>The conversation's matches, newest first: its messages, then its title when nothing else matched.</summary>
    private static void Match(Conversation conversation, SearchQuery query, List<SearchText.WordSpan> hits, List<SearchResult> results, int limit)
    {
        var found = 0;
        for (var i = conversation.Messages.Count - 1; i >= 0 && found < limit; i--)
        {
            var message = conversation.Messages[i];
            if (query.Matches(message.Content, hits))
            {
                var (snippet, highlights) = Snippet.Around(message.Content, hits);
                results.Add(new SearchResult(conversation.Id, message.Id, conversation.Title, message.Role, snippet, message.CreatedAt, highlights));
                found++;
            }
        }

        if (found == 0 && query.Matches(conversation.Title, hits))
        {
            var (snippet, highlights) = Snippet.Around(conversation.Title, hits);
            results.Add(new SearchResult(conversation.Id, null, conversation.Title, SearchRoles.Title, snippet, conversation.UpdatedAt, highlights));
        }
    }

    /// <summary>Takes conversations that left the store (deleted, expired) out of the index, for the words just searched.</summary>
    private async Task ForgetAsync(string ownerId, List<string> gone, SearchQuery query, CancellationToken cancellationToken)
    {
        var words = query.Words.ToList();
        try
        {
            foreach (var conversationId in gone)
            {
                await index.RemoveAsync(ownerId, conversationId, words, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            SearchLog.ForgetFailed(logger, exception, gone.Count);
        }
    }
}

/// <summary>The role of a result that is a conversation's title, not a message.</summary>
public static class SearchRoles
{
    public const string Title = "title";
}
