using System.Text;
using AspireChat.Bench.Load;

namespace AspireChat.Tests.Unit.Bench;

public sealed class WebSocketWireTests
{
    [Fact]
    public void TheAcceptValueIsRfc6455s()
    {
        // The example of RFC 6455, section 1.3.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketWire.Accept("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    public void TheUpgradeRequestNamesThePathHostAndAKeyWhoseAcceptIsExpected()
    {
        var (request, accept) = WebSocketWire.Handshake(new Uri("ws://127.0.0.1:5123/ws"));

        var text = Encoding.ASCII.GetString(request);
        Assert.StartsWith("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:5123\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", text, StringComparison.Ordinal);
        var key = text.Split("\r\n").Single(l => l.StartsWith("Sec-WebSocket-Key: ", StringComparison.Ordinal))["Sec-WebSocket-Key: ".Length..];
        Assert.Equal(WebSocketWire.Accept(key), accept);
    }

    [Fact]
    public void OnlyA101WithTheRightAcceptUpgrades()
    {
        var ok = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nsec-websocket-accept: abc="u8;

        Assert.Null(WebSocketWire.CheckHandshakeResponse(ok, "abc="));
        Assert.Contains("does not match", WebSocketWire.CheckHandshakeResponse(ok, "xyz="), StringComparison.Ordinal);
        Assert.Equal("the server answered 'HTTP/1.1 429 Too Many Requests'", WebSocketWire.CheckHandshakeResponse("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1"u8, "abc="));
    }

    [Theory]
    [InlineData(5, 2)]
    [InlineData(125, 2)]
    [InlineData(126, 4)]
    [InlineData(65_535, 4)]
    [InlineData(65_536, 10)]
    public void AServerFrameHeaderGivesItsLengthInEachEncoding(int payload, int header)
    {
        var frame = ServerFrame(WebSocketWire.Text, new byte[payload]);

        Assert.True(WebSocketWire.TryReadHeader(frame, out var final, out var opcode, out var headerLength, out var payloadLength));
        Assert.Equal((true, WebSocketWire.Text, header, (long)payload), (final, opcode, headerLength, payloadLength));
        // One byte short of the header is not a header yet.
        Assert.False(WebSocketWire.TryReadHeader(frame.AsSpan(0, header - 1), out _, out _, out _, out _));
    }

    [Fact]
    public void AMaskedServerFrameIsAProtocolError()
    {
        Assert.Throws<InvalidDataException>(() => WebSocketWire.TryReadHeader([0x81, 0x85, 1, 2, 3, 4], out _, out _, out _, out _));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(300)]
    [InlineData(70_000)]
    public void AClientFrameIsMaskedAndUnmasksToThePayload(int length)
    {
        var payload = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        var frame = new byte[WebSocketWire.ClientFrameLength(length)];

        var written = WebSocketWire.WriteClientFrame(frame, WebSocketWire.Text, payload, 0xA1B2C3D4);

        Assert.Equal(frame.Length, written);
        Assert.Equal(0x81, frame[0]);
        Assert.True((frame[1] & 0x80) != 0, "A client frame must be masked.");
        var maskAt = written - length - 4;
        var mask = frame.AsSpan(maskAt, 4).ToArray();
        Assert.Equal([0xA1, 0xB2, 0xC3, 0xD4], mask);
        var unmasked = frame.Skip(maskAt + 4).Select((b, i) => (byte)(b ^ mask[i % 4])).ToArray();
        Assert.Equal(payload, unmasked);
    }

    private static byte[] ServerFrame(byte opcode, byte[] payload)
    {
        var header = payload.Length switch
        {
            < 126 => new byte[] { (byte)(0x80 | opcode), (byte)payload.Length },
            <= ushort.MaxValue => [(byte)(0x80 | opcode), 126, (byte)(payload.Length >> 8), (byte)payload.Length],
            _ => [(byte)(0x80 | opcode), 127, 0, 0, 0, 0, (byte)(payload.Length >> 24), (byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length],
        };
        return [.. header, .. payload];
    }
}
