using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Search;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Bench.Micro;

/// <summary>
/// Search and its indexing (issue 19), server side: one owner with 1,000 conversations of 50 messages (25 turns:
/// a question of about 15 words, an answer of about 120, drawn from a 20,000-word vocabulary with a Zipf
/// distribution, as text is), in memory and in a real redis-server on loopback. One operation is one search, or one
/// turn saved; every operation is timed on its own (one invocation per iteration), so the percentile columns are
/// per-request latencies. The Redis figures include the round trips to redis-server and its time, on this machine.
/// </summary>
[Config(typeof(PerRequestConfig))]
public class SearchBenchmarks
{
    private const int Conversations = 1_000;
    private const int TurnsPerConversation = 25;
    private const string Owner = "bench-owner-000000000000";

    private static readonly Dictionary<string, Corpus> s_corpora = [];

    private Corpus _corpus = null!;
    private int _turn;

    [Params("memory", "redis")]
    public string Store { get; set; } = "memory";

    [GlobalSetup]
    public void Setup()
    {
        // Filled once per store and process (the in-process toolchain runs every case in this process).
        lock (s_corpora)
        {
            if (!s_corpora.TryGetValue(Store, out var corpus))
            {
                s_corpora[Store] = corpus = Corpus.CreateAsync(Store == "redis").GetAwaiter().GetResult();
            }

            _corpus = corpus;
        }
    }

    /// <summary>A word used in one old conversation only: the issue's "find a word from an older conversation".</summary>
    [Benchmark]
    public Task<SearchResponse> RareWord() => SearchAsync(_corpus.RareWord);

    /// <summary>One of the most frequent words: in every conversation, so results fill up at once.</summary>
    [Benchmark]
    public Task<SearchResponse> CommonWord() => SearchAsync(_corpus.CommonWord + " ");

    /// <summary>Two mid-frequency words that must be in one message.</summary>
    [Benchmark]
    public Task<SearchResponse> TwoWords() => SearchAsync(_corpus.TwoWords + " ");

    /// <summary>A word being typed: three letters that begin many words.</summary>
    [Benchmark]
    public Task<SearchResponse> Prefix() => SearchAsync(_corpus.Prefix);

    /// <summary>Two frequent words that are in every conversation but never in one message: the most a search reads.</summary>
    [Benchmark]
    public Task<SearchResponse> WorstCase() => SearchAsync(_corpus.NeverTogether + " ");

    /// <summary>Saving a turn as ChatApi does: indexing its words first, then the append.</summary>
    [Benchmark]
    public Task<bool> SaveTurnIndexed() => SaveAsync(_corpus.Indexed);

    /// <summary>The same save without search: the baseline the indexing adds to.</summary>
    [Benchmark(Baseline = true)]
    public Task<bool> SaveTurnUnindexed() => SaveAsync(_corpus.Unindexed);

    private Task<SearchResponse> SearchAsync(string text)
    {
        if (!SearchQuery.TryParse(text, out var query, out var error))
        {
            throw new InvalidOperationException(error);
        }

        return _corpus.Search.SearchAsync(Owner, query, CancellationToken.None);
    }

    private Task<bool> SaveAsync(IConversationStore store)
    {
        var turn = _turn++;
        var conversation = _corpus.ConversationIds[turn % Conversations];
        var (question, answer) = _corpus.Turn();
        var user = new ConversationMessage(ConversationIds.New(), MessageRoles.User, question, DateTimeOffset.UtcNow);
        return store.AppendTurnAsync(Owner, conversation, user, new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, answer, DateTimeOffset.UtcNow), CancellationToken.None);
    }

    /// <summary>The owner's conversations, written once through the indexing store, and the queries that find them.</summary>
    private sealed class Corpus
    {
        private readonly string[] _vocabulary;
        private readonly double[] _cumulative;
        private readonly Random _random = new(19);

        private Corpus()
        {
            // Pronounceable words of two to four syllables, ranked: the first are the most frequent (Zipf, s = 1.07).
            string[] syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "be", "da", "fi", "go", "hu", "je", "pa", "ze", "ro", "an", "el", "or"];
            var words = new HashSet<string>(StringComparer.Ordinal);
            var generator = new Random(7);
            while (words.Count < 20_000)
            {
                var length = generator.Next(2, 5);
                words.Add(string.Concat(Enumerable.Range(0, length).Select(_ => syllables[generator.Next(syllables.Length)])));
            }

            _vocabulary = [.. words];
            _cumulative = new double[_vocabulary.Length];
            double sum = 0;
            for (var i = 0; i < _vocabulary.Length; i++)
            {
                _cumulative[i] = sum += 1 / Math.Pow(i + 1, 1.07);
            }

            for (var i = 0; i < _cumulative.Length; i++)
            {
                _cumulative[i] /= sum;
            }
        }

        public ConversationSearch Search { get; private set; } = null!;

        public IConversationStore Indexed { get; private set; } = null!;

        public IConversationStore Unindexed { get; private set; } = null!;

        public List<string> ConversationIds { get; } = [];

        public string RareWord => "quetzalcoatl";

        public string CommonWord => _vocabulary[0];

        public string TwoWords => $"{_vocabulary[200]} {_vocabulary[300]}";

        public string Prefix => _vocabulary[50][..3];

        /// <summary>Two words the corpus puts in every conversation's title and first answer, never in one message.</summary>
        public string NeverTogether => "alpha omega";

        public static async Task<Corpus> CreateAsync(bool redis)
        {
            var corpus = new Corpus();
            var conversationOptions = Options.Create(new ConversationOptions());
            var searchOptions = Options.Create(new SearchOptions());
            IConversationStore inner;
            ISearchIndex index;
            if (redis)
            {
                var multiplexer = await BenchRedis.StartAsync();
                inner = new RedisConversationStore(multiplexer, conversationOptions, TimeProvider.System);
                index = new RedisSearchIndex(multiplexer, searchOptions, conversationOptions);
            }
            else
            {
                inner = new InMemoryConversationStore(conversationOptions, TimeProvider.System);
                index = new InMemorySearchIndex(searchOptions);
            }

            var indexed = new IndexingConversationStore(inner, index, TimeProvider.System, NullLogger<IndexingConversationStore>.Instance);
            corpus.Indexed = indexed;
            corpus.Unindexed = inner;
            corpus.Search = new ConversationSearch(indexed, index, searchOptions, NullLogger<ConversationSearch>.Instance);
            var started = Stopwatch.StartNew();
            for (var c = 0; c < Conversations; c++)
            {
                var created = await indexed.CreateAsync(Owner, AspireChat.ChatApi.Conversations.ConversationIds.New(), $"alpha {corpus.Words(4)}", CancellationToken.None);
                corpus.ConversationIds.Add(created.Id);
            }

            // Turns of different conversations at once, each conversation's turns in order.
            await Parallel.ForEachAsync(Enumerable.Range(0, Conversations), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (c, _) =>
            {
                string? parent = null;
                for (var t = 0; t < TurnsPerConversation; t++)
                {
                    string question;
                    string answer;
                    lock (corpus._random)
                    {
                        (question, answer) = corpus.Turn();
                    }

                    question = c == 17 && t == 3 ? $"{question} Quetzalcoatl" : question;
                    answer = t == 0 ? $"omega {answer}" : answer;
                    var user = new ConversationMessage(AspireChat.ChatApi.Conversations.ConversationIds.New(), MessageRoles.User, question, DateTimeOffset.UtcNow, ParentId: parent);
                    var reply = new ConversationMessage(AspireChat.ChatApi.Conversations.ConversationIds.New(), MessageRoles.Assistant, answer, DateTimeOffset.UtcNow);
                    await indexed.AppendTurnAsync(Owner, corpus.ConversationIds[c], user, reply, CancellationToken.None);
                    parent = reply.Id;
                }
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {(redis ? "Redis" : "memory")}: {Conversations} conversations of {TurnsPerConversation * 2} messages written in {started.Elapsed.TotalSeconds:0.0} s"));
            return corpus;
        }

        /// <summary>A question of about 15 words and an answer of about 120.</summary>
        public (string Question, string Answer) Turn() => (Sentence(15), Sentence(120));

        private string Sentence(int about) => Words(about - 3 + (_random.Next(7))) + ".";

        private string Words(int count)
        {
            var text = new StringBuilder();
            for (var i = 0; i < count; i++)
            {
                var at = Array.BinarySearch(_cumulative, _random.NextDouble());
                text.Append(i == 0 ? "" : " ").Append(_vocabulary[Math.Min(at < 0 ? ~at : at, _vocabulary.Length - 1)]);
            }

            return text.ToString();
        }
    }

    /// <summary>A throw-away redis-server on a free loopback port, nothing saved, stopped with the process.</summary>
    internal static class BenchRedis
    {
        public static async Task<ConnectionMultiplexer> StartAsync()
        {
            var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var server = Process.Start(new ProcessStartInfo("/usr/bin/redis-server", ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            {
                RedirectStandardOutput = true,
            }) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server).");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Kill();
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    return await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
                }
                catch (RedisConnectionException) when (attempt < 50)
                {
                    await Task.Delay(100);
                }
            }
        }
    }

    /// <summary>One invocation per iteration, so that each measurement is one request; 300 of them per case.</summary>
    private sealed class PerRequestConfig : ManualConfig
    {
        public PerRequestConfig()
        {
            // The global setup fills 1,000 conversations (in Redis too) inside the benchmark's run, past the in-process
            // toolchain's default 5-minute limit on a busy machine.
            AddJob(Job.Default
                .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true))
                .WithStrategy(RunStrategy.Throughput)
                .WithInvocationCount(1)
                .WithUnrollFactor(1)
                .WithWarmupCount(20)
                .WithIterationCount(300));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new Percentile(99));
            WithOptions(ConfigOptions.DisableOptimizationsValidator);
        }
    }

    /// <summary>A percentile of the per-request measurements (BenchmarkDotNet's own columns stop at P95).</summary>
    private sealed class Percentile(int percentile) : IColumn
    {
        public string Id => $"P{percentile}";

        public string ColumnName => $"P{percentile}";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => percentile;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Time;

        public string Legend => $"Percentile {percentile} of the per-request times";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            return statistics is null ? "-" : (statistics.Percentiles.Percentile(percentile) / 1_000_000).ToString("0.000 'ms'", CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
