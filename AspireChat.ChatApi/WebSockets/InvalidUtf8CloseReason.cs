using Microsoft.AspNetCore.Http.Features;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// .NET's WebSocket closes a connection whose text frame is not UTF-8 with status 1007 and an empty reason (it sends
/// the close itself, before ChatApi sees the frame), so a client cannot tell what it did wrong. This wraps the stream
/// of every upgraded request and gives that one close frame its reason on the way out; every other byte passes as is.
/// </summary>
internal static class InvalidUtf8CloseReason
{
    /// <summary>The reason a client reads with the 1007 close.</summary>
    public const string Reason = "A text frame was not valid UTF-8.";

    // A server's close frame (FIN + opcode 8, unmasked) of two payload bytes: status 1007 (0x03EF), no reason.
    private static readonly byte[] s_bareClose = [0x88, 0x02, 0x03, 0xEF];
    private static readonly byte[] s_closeWithReason = [0x88, (byte)(2 + Reason.Length), 0x03, 0xEF, .. System.Text.Encoding.ASCII.GetBytes(Reason)];

    /// <summary>Before <c>UseWebSockets</c>, which takes the upgrade feature as it finds it.</summary>
    public static IApplicationBuilder UseInvalidUtf8CloseReason(this IApplicationBuilder app) => app.Use(static (context, next) =>
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new Upgrade(upgrade));
        }

        return next(context);
    });

    private sealed class Upgrade(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => new ReasonStream(await inner.UpgradeAsync());
    }

    private sealed class ReasonStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer.Span.SequenceEqual(s_bareClose) ? s_closeWithReason : buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
