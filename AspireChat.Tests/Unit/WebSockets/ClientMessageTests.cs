using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using AspireChat.ChatApi.WebSockets;

namespace AspireChat.Tests.Unit.WebSockets;

/// <summary>
/// <see cref="ClientMessage"/> against .NET's own WebSocket (the one Kestrel gives ChatApi) over a loopback TCP
/// connection: TestServer's in-memory socket would not show how the real one treats a zero-byte receive.
/// </summary>
public sealed class ClientMessageTests : IAsyncLifetime
{
    private const int MaxBytes = 1024;
    private TcpListener? _listener;
    private TcpClient? _clientConnection;
    private Socket? _serverConnection;
    private WebSocket _server = null!;
    private WebSocket _client = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _clientConnection = new TcpClient();
        var accepting = _listener.AcceptSocketAsync(Token);
        await _clientConnection.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, Token);
        _serverConnection = await accepting;
        _server = WebSocket.CreateFromStream(new NetworkStream(_serverConnection, ownsSocket: false), new WebSocketCreationOptions { IsServer = true });
        _client = WebSocket.CreateFromStream(_clientConnection.GetStream(), new WebSocketCreationOptions { IsServer = false });
    }

    public ValueTask DisposeAsync()
    {
        _server.Dispose();
        _client.Dispose();
        _serverConnection?.Dispose();
        _clientConnection?.Dispose();
        _listener?.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task AZeroByteReceiveWaitsForAMessageAndLeavesAllItsBytesToTheNextReceive()
    {
        var waiting = _server.ReceiveAsync(Memory<byte>.Empty, Token).AsTask();
        Assert.False(waiting.IsCompleted, "Nothing was sent, so the zero-byte receive should still be waiting.");

        await SendTextAsync("hello", pieces: 1);
        var waited = await waiting;
        var buffer = new byte[16];
        var read = await _server.ReceiveAsync(buffer.AsMemory(), Token);

        Assert.Equal((0, WebSocketMessageType.Text, false), (waited.Count, waited.MessageType, waited.EndOfMessage));
        Assert.Equal((5, true), (read.Count, read.EndOfMessage));
        Assert.Equal("hello", Encoding.UTF8.GetString(buffer, 0, read.Count));
    }

    [Fact]
    public async Task AMessageLongerThanTheFirstBufferAndSentInPiecesIsReadWhole()
    {
        var text = Text((3 * ClientMessage.InitialBufferBytes) + 17);
        await SendTextAsync(text, pieces: 7);

        using var message = await ReceiveAsync(maxBytes: 32 * 1024, Token);

        Assert.Equal(WebSocketMessageType.Text, message.Type);
        Assert.False(message.TooLarge);
        Assert.Equal(text, Encoding.UTF8.GetString(message.Content));
    }

    [Theory]
    [InlineData(MaxBytes, false)]
    [InlineData(MaxBytes + 1, true)]
    [InlineData(5 * MaxBytes, true)]
    public async Task AMessageIsRefusedOnlyPastTheLimitAndTheNextMessageIsReadWhole(int length, bool tooLarge)
    {
        var text = Text(length);
        await SendTextAsync(text, pieces: 3);
        await SendTextAsync("next", pieces: 1);

        var first = await ReceiveAsync(MaxBytes, Token);
        var firstContent = Encoding.UTF8.GetString(first.Content);
        first.Dispose();
        using var next = await ReceiveAsync(MaxBytes, Token);

        Assert.Equal(tooLarge, first.TooLarge);
        // A message too large keeps its start (where a client writes its ids), never more.
        Assert.Equal(tooLarge ? text[..ClientMessage.KeptPrefixBytes] : text, firstContent);
        Assert.Equal("next", Encoding.UTF8.GetString(next.Content));
    }

    [Fact]
    public async Task AMessageTooLargeForEvenItsPrefixUnderATinyLimitKeepsHalfTheLimitAndTheConnectionReadsOn()
    {
        await SendTextAsync(Text(100), pieces: 4);
        await SendTextAsync("next", pieces: 1);

        var first = await ReceiveAsync(maxBytes: 9, Token);
        var firstContent = Encoding.UTF8.GetString(first.Content);
        first.Dispose();
        using var next = await ReceiveAsync(maxBytes: 9, Token);

        Assert.True(first.TooLarge);
        Assert.Equal(Text(100)[..5], firstContent);
        Assert.Equal("next", Encoding.UTF8.GetString(next.Content));
    }

    [Fact]
    public async Task ABinaryMessageIsReportedAsSuchAndDroppedAndTheNextMessageIsReadWhole()
    {
        await _client.SendAsync(new byte[3 * MaxBytes], WebSocketMessageType.Binary, endOfMessage: true, Token);
        await SendTextAsync("next", pieces: 1);

        var binary = await ReceiveAsync(MaxBytes, Token);
        binary.Dispose();
        using var next = await ReceiveAsync(MaxBytes, Token);

        Assert.Equal(WebSocketMessageType.Binary, binary.Type);
        Assert.Equal("next", Encoding.UTF8.GetString(next.Content));
    }

    [Fact]
    public async Task AnEmptyMessageIsAnEmptyTextMessage()
    {
        await SendTextAsync("", pieces: 1);

        using var message = await ReceiveAsync(MaxBytes, Token);

        Assert.Equal(WebSocketMessageType.Text, message.Type);
        Assert.False(message.TooLarge);
        Assert.True(message.Content.IsEmpty);
    }

    [Fact]
    public async Task TheClientsCloseIsReported()
    {
        var closing = _client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Token);

        using var message = await ReceiveAsync(MaxBytes, Token);
        await closing;

        Assert.Equal(WebSocketMessageType.Close, message.Type);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, _server.CloseStatus);
    }

    /// <summary>As ChatApi's receive loop does: waits with a zero-byte receive, then reads the message.</summary>
    private async Task<ClientMessage> ReceiveAsync(int maxBytes, CancellationToken cancellationToken)
    {
        var next = await _server.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
        return await ClientMessage.ReadAsync(_server, next, maxBytes, cancellationToken);
    }

    /// <summary>ASCII text of exactly <paramref name="length"/> bytes.</summary>
    private static string Text(int length) =>
        string.Concat(Enumerable.Range(0, (length / 10) + 1).Select(i => $"{i,9} ")).Substring(0, length);

    /// <summary>One text message sent as <paramref name="pieces"/> frames, as a browser may.</summary>
    private async Task SendTextAsync(string text, int pieces)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var size = Math.Max(1, (bytes.Length + pieces - 1) / pieces);
        var offset = 0;
        do
        {
            var count = Math.Min(size, bytes.Length - offset);
            await _client.SendAsync(bytes.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == bytes.Length, Token);
            offset += count;
        }
        while (offset < bytes.Length);
    }
}
