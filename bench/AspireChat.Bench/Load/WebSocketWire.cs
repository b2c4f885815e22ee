using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace AspireChat.Bench.Load;

/// <summary>
/// The little of RFC 6455 a load-generating client needs: the opening handshake, reading the server's (unmasked)
/// frame headers and writing masked client frames.
/// </summary>
internal static class WebSocketWire
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The upgrade request for <paramref name="endpoint"/> and the <c>Sec-WebSocket-Accept</c> the server must answer with.</summary>
    public static (byte[] Request, string ExpectedAccept) Handshake(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET {endpoint.PathAndQuery} HTTP/1.1\r\nHost: {endpoint.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        return (Encoding.ASCII.GetBytes(request), Accept(key));
    }

    /// <summary>The accept value RFC 6455 4.2.2 defines: SHA-1 is the protocol's, not a choice of security here.</summary>
#pragma warning disable CA5350
    public static string Accept(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350

    /// <summary>Null when <paramref name="head"/> (the response up to its blank line) accepts the upgrade; else why not.</summary>
    public static string? CheckHandshakeResponse(ReadOnlySpan<byte> head, string expectedAccept)
    {
        var text = Encoding.ASCII.GetString(head);
        var lines = text.Split("\r\n");
        if (!lines[0].StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            return $"the server answered '{lines[0]}'";
        }

        var accept = lines.Skip(1).Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase));
        return accept?[1].Trim() == expectedAccept ? null : "the server's Sec-WebSocket-Accept does not match the key";
    }

    /// <summary>
    /// Reads the header of the server frame at the start of <paramref name="buffer"/>; false when the header is not all
    /// there yet. A masked server frame is a protocol error (RFC 6455 5.1).
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> buffer, out bool final, out byte opcode, out int headerLength, out long payloadLength)
    {
        (final, opcode, headerLength, payloadLength) = (false, 0, 0, 0);
        if (buffer.Length < 2)
        {
            return false;
        }

        final = (buffer[0] & 0x80) != 0;
        opcode = (byte)(buffer[0] & 0x0F);
        if ((buffer[1] & 0x80) != 0)
        {
            throw new InvalidDataException("The server sent a masked frame.");
        }

        var length = buffer[1] & 0x7F;
        switch (length)
        {
            case 126 when buffer.Length >= 4:
                (headerLength, payloadLength) = (4, BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]));
                return true;
            case 127 when buffer.Length >= 10:
                (headerLength, payloadLength) = (10, (long)BinaryPrimitives.ReadUInt64BigEndian(buffer[2..]));
                return payloadLength >= 0 ? true : throw new InvalidDataException("A frame longer than 2^63 bytes.");
            case 126 or 127:
                return false;
            default:
                (headerLength, payloadLength) = (2, length);
                return true;
        }
    }

    /// <summary>The bytes a masked client frame with <paramref name="payloadLength"/> bytes of payload takes.</summary>
    public static int ClientFrameLength(int payloadLength) => payloadLength switch
    {
        < 126 => 6,
        <= ushort.MaxValue => 8,
        _ => 14,
    } + payloadLength;

    /// <summary>Writes one final, masked client frame; returns its length.</summary>
    public static int WriteClientFrame(Span<byte> destination, byte opcode, ReadOnlySpan<byte> payload, uint mask)
    {
        destination[0] = (byte)(0x80 | opcode);
        int header;
        if (payload.Length < 126)
        {
            destination[1] = (byte)(0x80 | payload.Length);
            header = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            destination[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload.Length);
            header = 4;
        }
        else
        {
            destination[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload.Length);
            header = 10;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination[header..], mask);
        Span<byte> key = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(key, mask);
        var body = destination.Slice(header + 4, payload.Length);
        for (var i = 0; i < payload.Length; i++)
        {
            body[i] = (byte)(payload[i] ^ key[i & 3]);
        }

        return header + 4 + payload.Length;
    }
}
