using System.Threading.Channels;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.Tests.Fakes;

/// <summary>Collects the frames a reply delivers; tests await them one by one.</summary>
public sealed class RecordingObserver(bool accept = true) : IReplyObserver
{
    private readonly Channel<ServerFrame> _frames = Channel.CreateUnbounded<ServerFrame>();

    public List<ServerFrame> All { get; } = [];

    public bool TryDeliver(ServerFrame frame)
    {
        lock (All)
        {
            All.Add(frame);
        }

        return accept && _frames.Writer.TryWrite(frame);
    }

    public async Task<T> NextAsync<T>(TimeSpan? timeout = null) where T : ServerFrame
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var frame = await _frames.Reader.ReadAsync(cts.Token);
        return Assert.IsAssignableFrom<T>(frame);
    }

    /// <summary>Reads frames until the end frame; returns them all (the end included).</summary>
    public async Task<List<ServerFrame>> UntilEndAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var frames = new List<ServerFrame>();
        await foreach (var frame in _frames.Reader.ReadAllAsync(cts.Token))
        {
            frames.Add(frame);
            if (frame is EndFrame || (frame is ErrorFrame error && error.MessageId is null && !frames.OfType<StartFrame>().Any()))
            {
                return frames;
            }
        }

        return frames;
    }
}
