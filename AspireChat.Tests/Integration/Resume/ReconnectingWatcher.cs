using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Protocol;
using System.Threading.Channels;

namespace AspireChat.Tests.Integration.Resume;

/// <summary>
/// A client of the reply broker that drops its connection at random points and resumes from the
/// last seq it holds, as a page does after a reload. Every chunk it is given must be the next one.
/// </summary>
internal sealed class ReconnectingWatcher(IReplyBroker broker, string ownerId, string conversationId, string messageId, Random random)
{
    public string Text { get; private set; } = "";

    public long LastSeq { get; private set; }

    public int Reconnects { get; private set; }

    /// <summary>Follows the reply to its end, reconnecting after each frame with <paramref name="reconnectChance"/>.</summary>
    public async Task<EndFrame> FollowAsync(double reconnectChance, CancellationToken cancellationToken)
    {
        while (true)
        {
            var observer = new FrameQueue();
            var (watch, error) = await broker.WatchAsync(new WatchRequest(ownerId, conversationId, messageId, LastSeq, "watcher"), observer, cancellationToken);
            Assert.True(error is null, $"Resume after seq {LastSeq} was refused: {error}");
            await using (watch)
            {
                while (true)
                {
                    var frame = await observer.NextAsync(cancellationToken);
                    switch (frame)
                    {
                        case ChunkFrame chunk:
                            Assert.True(chunk.Seq == LastSeq + 1, $"After seq {LastSeq} came seq {chunk.Seq} (reconnect {Reconnects}).");
                            Text += chunk.Content;
                            LastSeq = chunk.Seq;
                            break;
                        case EndFrame end:
                            return end;
                        case StartFrame start:
                            Assert.Equal(messageId, start.MessageId);
                            break;
                        default:
                            Assert.Fail($"Unexpected frame {frame}.");
                            break;
                    }

                    if (random.NextDouble() < reconnectChance)
                    {
                        Reconnects++;
                        break;
                    }
                }
            }
        }
    }
}

/// <summary>One connection's frames, in the order they were delivered.</summary>
internal sealed class FrameQueue : IReplyObserver
{
    private readonly Channel<ServerFrame> _frames = Channel.CreateUnbounded<ServerFrame>();

    public bool TryDeliver(ServerFrame frame) => _frames.Writer.TryWrite(frame);

    public async Task<ServerFrame> NextAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        return await _frames.Reader.ReadAsync(timeout.Token);
    }
}
