using System.ComponentModel.DataAnnotations;

namespace AspireChat.ChatApi.Search;

/// <summary>How much one search reads and returns. Section <c>Search</c>.</summary>
public sealed class SearchOptions
{
    public const string SectionName = "Search";

    /// <summary>Results returned, at most.</summary>
    [Range(1, 500)]
    public int MaxResults { get; set; } = 50;

    /// <summary>Results from one conversation, at most (its newest matches), so that one long conversation does not fill the list.</summary>
    [Range(1, 500)]
    public int MaxResultsPerConversation { get; set; } = 5;

    /// <summary>
    /// Candidate conversations read and matched, at most, most recent first: what bounds a search whose words
    /// are everywhere but never together in one message. The answer says when it stopped there.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxConversationsScanned { get; set; } = 200;

    /// <summary>
    /// Words the last, unfinished word of a query may stand for. Beyond it (a prefix of one or two letters),
    /// the index narrows by the other words only, and the prefix is matched as conversations are read.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxPrefixWords { get; set; } = 64;
}
