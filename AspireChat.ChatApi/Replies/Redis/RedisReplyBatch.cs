using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>
/// A reply's frames as <see cref="RedisReplyScripts.Store"/> takes them: their JSON, each followed by a newline, in
/// one buffer (each frame serialized once, for its stream entry and the published message alike), and their seqs.
/// </summary>
internal readonly record struct RedisReplyBatch(ReadOnlyMemory<byte> Frames, string Seqs)
{
    public static RedisReplyBatch Of(IReadOnlyList<(ServerFrame Frame, long Seq)> frames, int from)
    {
        ArgumentNullException.ThrowIfNull(frames);
        // Sized for the usual chunk (under 200 bytes), so it rarely grows.
        var json = new ArrayBufferWriter<byte>((frames.Count - from) * 192);
        var seqs = new StringBuilder((frames.Count - from) * 4);
        using (var writer = new Utf8JsonWriter(json))
        {
            for (var i = from; i < frames.Count; i++)
            {
                ServerFrameJson.Write(writer, frames[i].Frame);
                writer.Flush();
                json.Write("\n"u8);
                writer.Reset(json);
                seqs.Append(CultureInfo.InvariantCulture, $"{frames[i].Seq} ");
            }
        }

        return new RedisReplyBatch(json.WrittenMemory, seqs.ToString());
    }
}
