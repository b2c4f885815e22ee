using System.Threading.Channels;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Protocol;
using BenchmarkDotNet.Attributes;

namespace AspireChat.Bench.Micro;

/// <summary>
/// The chunk fan-out: <see cref="LiveReply.Append"/> numbering a token and handing the frame to every observer,
/// each a bounded channel as a WebSocket connection's send queue is. One operation is one token of a 500-token
/// reply (a new reply per invocation, so the reply's history does not grow without end).
/// </summary>
public class ChunkFanOutBenchmarks
{
    private const int TokensPerReply = 500;
    private static readonly string[] Tokens = [.. Enumerable.Range(0, TokensPerReply).Select(i => $"tok{i} ")];

    [Params(1, 10, 100)]
    public int Observers { get; set; }

    [Benchmark(OperationsPerInvoke = TokensPerReply)]
    public long AppendToEveryObserver()
    {
        var reply = new LiveReply("c-1");
        for (var i = 0; i < Observers; i++)
        {
            reply.Attach(new QueueObserver());
        }

        reply.Start("3kVq0Yt2Qm6lJ9zX1bC4dA", "mock");
        long seq = 0;
        foreach (var token in Tokens)
        {
            seq = reply.Append(token);
        }

        return seq;
    }

    /// <summary>An observer shaped like ChatSocketConnection's: a bounded, single-reader queue of frames.</summary>
    private sealed class QueueObserver : IReplyObserver
    {
        private readonly Channel<ServerFrame> _queue = Channel.CreateBounded<ServerFrame>(new BoundedChannelOptions(8_192) { SingleReader = true });

        public bool TryDeliver(ServerFrame frame) => _queue.Writer.TryWrite(frame);
    }
}
