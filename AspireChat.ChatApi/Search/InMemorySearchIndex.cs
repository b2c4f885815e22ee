using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Search;

/// <summary>
/// The index beside the in-memory store: per owner, word → conversation ids (<see cref="Posting"/>), in process memory.
/// A prefix is looked up by reading the owner's words: a sorted vocabulary beside them cost a tree node per word, and
/// one owner's words are read in well under a millisecond.
/// </summary>
public sealed class InMemorySearchIndex(IOptions<SearchOptions> options) : ISearchIndex
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, OwnerIndex> _owners = new(StringComparer.Ordinal);

    public Task<bool> AddAsync(string ownerId, string conversationId, IReadOnlyCollection<string> words, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(words);
        lock (_lock)
        {
            if (!_owners.TryGetValue(ownerId, out var index))
            {
                _owners[ownerId] = index = new OwnerIndex();
            }

            var known = index.Recent.ContainsKey(conversationId);
            foreach (var word in words)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(index.Postings, word, out _).Add(conversationId);
            }

            index.Recent[conversationId] = at.UtcTicks;
            return Task.FromResult(known);
        }
    }

    public Task<SearchCandidates> FindAsync(string ownerId, SearchQuery query, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_lock)
        {
            if (!_owners.TryGetValue(ownerId, out var index))
            {
                return Task.FromResult(SearchCandidates.None);
            }

            List<Posting> sets = [];
            foreach (var word in query.Words)
            {
                if (!index.Postings.TryGetValue(word, out var conversations))
                {
                    return Task.FromResult(SearchCandidates.None);
                }

                sets.Add(conversations);
            }

            if (query.Prefix is { } prefix)
            {
                var expansion = index.Postings.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).Take(options.Value.MaxPrefixWords + 1).ToList();
                if (expansion.Count == 0)
                {
                    return Task.FromResult(SearchCandidates.None);
                }

                // A prefix that stands for too many words narrows nothing worth its cost: the reading matches it.
                if (expansion.Count <= options.Value.MaxPrefixWords)
                {
                    var union = new Posting();
                    foreach (var id in expansion.SelectMany(p => p.Value.ConversationIds))
                    {
                        union.Add(id);
                    }

                    sets.Add(union);
                }
            }

            IEnumerable<string> candidates = sets.Count == 0 ? index.Recent.Keys : sets.MinBy(s => s.Count).ConversationIds.Where(id => sets.All(s => s.Contains(id)));
            var ordered = candidates.OrderByDescending(id => index.Recent.GetValueOrDefault(id)).ToList();
            return Task.FromResult(new SearchCandidates([.. ordered.Take(limit)], ordered.Count));
        }
    }

    public Task RemoveAsync(string ownerId, string conversationId, IReadOnlyCollection<string> words, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(words);
        lock (_lock)
        {
            if (!_owners.TryGetValue(ownerId, out var index))
            {
                return Task.CompletedTask;
            }

            foreach (var word in words)
            {
                ref var posting = ref CollectionsMarshal.GetValueRefOrNullRef(index.Postings, word);
                if (!Unsafe.IsNullRef(ref posting) && posting.Remove(conversationId) && posting.Count == 0)
                {
                    index.Postings.Remove(word);
                }
            }

            index.Recent.Remove(conversationId);
            if (index.Recent.Count == 0)
            {
                _owners.Remove(ownerId);
            }
        }

        return Task.CompletedTask;
    }

    // In memory, the index lives as long as the process, like the conversations.
    public Task TouchAsync(string ownerId, CancellationToken cancellationToken) => Task.CompletedTask;

    private sealed class OwnerIndex
    {
        public Dictionary<string, Posting> Postings { get; } = new(StringComparer.Ordinal);

        /// <summary>Conversation id → when its text was last indexed (UTC ticks).</summary>
        public Dictionary<string, long> Recent { get; } = new(StringComparer.Ordinal);
    }
}
