namespace AspireChat.ChatApi.Search;

/// <summary>Search's log lines (event ids 1400-1499).</summary>
internal static partial class SearchLog
{
    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "Updating the search index failed; the text is indexed again when its conversation is next written.")]
    public static partial void IndexWriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Forgetting {Count} conversations that left the store failed; the next search that meets them tries again.")]
    public static partial void ForgetFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "The conversation store is unavailable; a search failed.")]
    public static partial void SearchFailed(ILogger logger, Exception exception);
}
