using System.Diagnostics;
using System.Globalization;
using AspireChat.ChatApi;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Bench.Micro;

/// <summary>
/// Issue 17's "turn cost at the 200th message within 1.2× of the 2nd", both layouts in one run on one throw-away
/// redis-server: <c>dotnet run -c Release --project bench/AspireChat.Bench.Micro -- turn-cost [conversations]</c>.
/// For each length (messages before the turn: 2, 20, 60, 200; <c>Conversations:MaxMessages</c> is 200, so at 200 every
/// turn trims, as in every long conversation) and layout (021e57e's list, <see cref="ListLayoutTurn"/>; this build's
/// messages by id, <see cref="RedisConversationStore"/>), that many conversations are filled (a user message of 200
/// characters, a reply of 1,200), then one turn is taken in each: the read a turn does, then its append and the
/// owner's index. Redis' time per turn is INFO commandstats' usec of the top-level commands (EVALSHA, MULTI, EXEC),
/// counted from a CONFIG RESETSTAT before the pass: the time of what a script or a transaction runs is inside its own,
/// and a noisy machine slows it less than wall time. ChatApi's is the wall time of the two store calls, round trips
/// and decoding included (median and p95).
/// </summary>
internal static class TurnCost
{
    private static readonly string s_question = Text(200);
    private static readonly string s_answer = Text(1_200);
    private static readonly string[] s_topLevel = ["evalsha", "eval", "multi", "exec"];

    /// <summary>Runs every case; <paramref name="budget"/> stands for <c>Chat:HistoryBudgetCharacters</c> (null: its default).</summary>
    public static async Task RunAsync(int conversations, int? budget)
    {
        await using var redis = await SearchBenchmarks.BenchRedis.StartAsync();
        var database = redis.GetDatabase();
        // A second connection, in admin mode, for CONFIG RESETSTAT and INFO.
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.Configuration},allowAdmin=true");
        var server = admin.GetServers()[0];
        var options = new ConversationOptions();
        var store = new RedisConversationStore(redis, Options.Create(options), TimeProvider.System);
        var list = new ListLayoutTurn(database);
        budget ??= new ChatServiceOptions().HistoryBudgetCharacters;
        Console.WriteLine($"redis-server {server.Version}, {conversations} turns per case, history budget {budget} characters, MaxMessages {options.MaxMessages}");
        Console.WriteLine("| messages before the turn | layout | Redis µs per turn | of it, the read | ChatApi ms per turn (median) | p95 | Redis commands per turn |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---|");
        foreach (var length in new[] { 2, 20, 60, 200 })
        {
            foreach (var byId in new[] { false, true })
            {
                var ids = new List<string>();
                for (var i = 0; i < conversations; i++)
                {
                    ids.Add(byId ? await FillAsync(store, length) : await FillAsync(database, length));
                }

                var times = new List<double>();
                // One warm-up turn (the scripts loaded, the code jitted), then the measured pass from zeroed counters.
                await TurnAsync(ids[0]);
                await server.ConfigResetStatisticsAsync();
                foreach (var id in ids.Skip(1))
                {
                    var started = Stopwatch.GetTimestamp();
                    await TurnAsync(id);
                    times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                var stats = await CommandStatsAsync(server);
                var turns = ids.Count - 1;
                var total = s_topLevel.Sum(c => stats.GetValueOrDefault(c).Usec);
                times.Sort();
                var breakdown = string.Join(", ", stats.Where(s => s.Value.Calls > 0).OrderByDescending(s => s.Value.Usec)
                    .Select(s => $"{s.Key} {s.Value.Calls / (double)turns:0.#}× {s.Value.Usec / (double)turns:0.#} µs"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {length} | {(byId ? "by id (this build)" : "list (021e57e)")} | {total / (double)turns:0.0} | {ReadShare(byId, stats, turns)} | {times[times.Count / 2]:0.000} | {times[(int)(times.Count * 0.95)]:0.000} | {breakdown} |"));

                async Task TurnAsync(string id)
                {
                    var userId = ConversationIds.New();
                    var leaf = byId
                        ? (await store.GetPathAsync(Owner, id, null, budget.Value, userId, CancellationToken.None))!.ActiveLeafId
                        : await list.LoadAsync(id);
                    var (user, reply) = Turn(userId, leaf);
                    if (byId)
                    {
                        await store.AppendTurnAsync(Owner, id, user, reply, CancellationToken.None);
                    }
                    else
                    {
                        await list.AppendAsync(Owner, id, user, reply, options.MaxMessages, options.TimeToLive);
                    }
                }
            }
        }
    }

    private const string Owner = "bench-owner-turn-cost-00";

    /// <summary>The read's share: in the list layout its own MULTI (the append's index is one more), in this build the path script.</summary>
    private static string ReadShare(bool byId, Dictionary<string, (long Calls, long Usec)> stats, int turns) =>
        byId ? "path script (see commands)" : string.Create(CultureInfo.InvariantCulture, $"{(stats.GetValueOrDefault("hgetall").Usec + stats.GetValueOrDefault("lrange").Usec) / (double)turns:0.0} (HGETALL + LRANGE)");

    private static (ConversationMessage User, ConversationMessage Reply) Turn(string userId, string? parentId) =>
        (new ConversationMessage(userId, MessageRoles.User, s_question, DateTimeOffset.UtcNow, ParentId: parentId),
         new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, s_answer, DateTimeOffset.UtcNow, "stop", new TokenUsage(50, 300, 350)));

    /// <summary>A conversation of <paramref name="length"/> messages (one branch) written by this build's store.</summary>
    private static async Task<string> FillAsync(RedisConversationStore store, int length)
    {
        var id = (await store.CreateAsync(Owner, ConversationIds.New(), "bench", CancellationToken.None)).Id;
        string? leaf = null;
        for (var i = 0; i < length / 2; i++)
        {
            var (user, reply) = Turn(ConversationIds.New(), leaf);
            await store.AppendTurnAsync(Owner, id, user, reply, CancellationToken.None);
            leaf = reply.Id;
        }

        return id;
    }

    /// <summary>A conversation of <paramref name="length"/> messages (one branch) in 021e57e's list layout, as its store wrote it.</summary>
    private static async Task<string> FillAsync(IDatabase database, int length)
    {
        var id = ConversationIds.New();
        var stamp = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var items = new List<RedisValue>();
        string? leaf = null;
        for (var i = 0; i < length / 2; i++)
        {
            var (user, reply) = Turn(ConversationIds.New(), leaf);
            items.Add(ListLayoutTurn.Serialize(user));
            items.Add(ListLayoutTurn.Serialize(reply with { ParentId = user.Id }));
            leaf = reply.Id;
        }

        await database.HashSetAsync(ListLayoutTurn.Conversation(id), [new("owner", Owner), new("title", "bench"), new("createdAt", stamp), new("updatedAt", stamp), new("leaf", leaf)]);
        await database.ListRightPushAsync(ListLayoutTurn.Messages(id), [.. items]);
        return id;
    }

    /// <summary>INFO commandstats: command → (calls, usec).</summary>
    private static async Task<Dictionary<string, (long Calls, long Usec)>> CommandStatsAsync(IServer server)
    {
        var stats = new Dictionary<string, (long Calls, long Usec)>(StringComparer.Ordinal);
        foreach (var entry in (await server.InfoAsync("commandstats")).SelectMany(group => group))
        {
            var fields = entry.Value.Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
            stats[entry.Key.Replace("cmdstat_", "", StringComparison.Ordinal)] = (long.Parse(fields["calls"], CultureInfo.InvariantCulture), long.Parse(fields["usec"], CultureInfo.InvariantCulture));
        }

        return stats;
    }

    private static string Text(int length)
    {
        const string words = "the quick brown fox jumps over the lazy dog while a model answers at length ";
        return string.Concat(Enumerable.Repeat(words, (length / words.Length) + 1))[..length];
    }
}
