using System.Buffers;
using System.Net.WebSockets;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// One whole message from a client, in a buffer rented for that message alone: an idle connection
/// holds no receive buffer, and a busy one holds one only while it reads and handles a message.
/// Disposing it returns the buffer to the pool.
/// </summary>
/// <remarks>
/// The caller waits for the message with a zero-byte receive, <c>socket.ReceiveAsync(Memory&lt;byte&gt;.Empty, …)</c>:
/// it returns once a data frame's header has arrived and takes none of its payload (.NET's WebSocket waits
/// with a zero-byte read on the connection), handling pings, pongs and a close inside it as any receive does.
/// The wait is the caller's own await, so that what an idle connection keeps alive is only its receive loop.
/// </remarks>
internal readonly struct ClientMessage : IDisposable
{
    /// <summary>The buffer a message is first read into: a typed chat message fits; it doubles, up to the limit, for a longer one.</summary>
    internal const int InitialBufferBytes = 4096;

    /// <summary>What is kept of a message too large to read: enough for the ids a client writes first (<see cref="Protocol.ClientFramePrefix"/>).</summary>
    internal const int KeptPrefixBytes = 512;

    private readonly byte[]? _buffer;
    private readonly int _length;

    private ClientMessage(WebSocketMessageType type, bool tooLarge, byte[]? buffer, int length)
    {
        Type = type;
        TooLarge = tooLarge;
        _buffer = buffer;
        _length = length;
    }

    public WebSocketMessageType Type { get; }

    /// <summary>Longer than the limit: it was read to its end and dropped, and <see cref="Content"/> holds its first <see cref="KeptPrefixBytes"/> at most.</summary>
    public bool TooLarge { get; }

    /// <summary>The message's bytes; empty for a close and a binary message (dropped unread); for one too large, its first bytes only.</summary>
    public ReadOnlySpan<byte> Content => _buffer.AsSpan(0, _length);

    /// <summary>
    /// Reads whole, up to <paramref name="maxBytes"/>, the message a zero-byte receive announced as <paramref name="next"/>.
    /// A longer message, and any binary one, is still read to its end (and dropped), so the connection stays usable.
    /// </summary>
    public static async ValueTask<ClientMessage> ReadAsync(WebSocket socket, ValueWebSocketReceiveResult next, int maxBytes, CancellationToken cancellationToken)
    {
        if (next.MessageType == WebSocketMessageType.Close || next.EndOfMessage)
        {
            return new ClientMessage(next.MessageType, tooLarge: false, buffer: null, length: 0);
        }

        var dropping = next.MessageType == WebSocketMessageType.Binary;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, maxBytes + 1));
        var length = 0;
        // A text message over the limit keeps its first bytes and reads the rest over what follows them.
        var kept = next.MessageType == WebSocketMessageType.Text ? Math.Min(KeptPrefixBytes, (maxBytes + 1) / 2) : 0;
        try
        {
            while (true)
            {
                // Room for one byte past the limit, so that a message over it is seen to be.
                var capacity = Math.Min(buffer.Length, maxBytes + 1);
                if (!dropping && length == capacity)
                {
                    buffer = Grow(buffer, length, maxBytes + 1);
                    capacity = Math.Min(buffer.Length, maxBytes + 1);
                }

                var result = await socket.ReceiveAsync(dropping ? buffer.AsMemory(kept, capacity - kept) : buffer.AsMemory(length, capacity - length), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new ClientMessage(WebSocketMessageType.Close, tooLarge: false, buffer: null, length: 0);
                }

                if (!dropping)
                {
                    length += result.Count;
                    dropping = length > maxBytes;
                }

                if (result.EndOfMessage)
                {
                    var tooLarge = length > maxBytes;
                    return new ClientMessage(next.MessageType, tooLarge, buffer, tooLarge ? kept : dropping ? 0 : length);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }

    /// <summary>A buffer twice as large (at most <paramref name="limit"/>) holding what was read so far; the old one goes back to the pool.</summary>
    private static byte[] Grow(byte[] buffer, int length, int limit)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit));
        buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }
}
