using System.Diagnostics;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>
/// What a <see cref="RedisReplyPublisher"/> did to store its reply, summed up for the reply span in place of a span per
/// stored batch (<see cref="ReplyTelemetry.Attributes"/>, <c>aspirechat.reply.store.*</c>). Counted by the publisher's
/// one writing loop, a few additions per batch, and read once that loop has ended.
/// </summary>
internal sealed class RedisReplyStoreSummary
{
    /// <summary>Batches stored: one store script each (an XADD per frame and one PUBLISH).</summary>
    public int Appends { get; private set; }

    /// <summary>Frames appended to the reply's stream, a frame sent again after a Redis failure counted again.</summary>
    public int Frames { get; private set; }

    /// <summary>The frames' JSON sent to Redis, a newline after each, as the store script takes them.</summary>
    public long Bytes { get; private set; }

    /// <summary>The longest store script, from sending it to its answer.</summary>
    public TimeSpan SlowestAppend { get; private set; }

    /// <summary>Store scripts that failed (Redis away or too slow); their frames went with a later one.</summary>
    public int FailedAppends { get; private set; }

    public void Appended(int frames, int bytes, TimeSpan took)
    {
        Appends++;
        Frames += frames;
        Bytes += bytes;
        SlowestAppend = took > SlowestAppend ? took : SlowestAppend;
    }

    public void Failed() => FailedAppends++;

    /// <summary>Sets the summary on the reply span, when the reply has one that records.</summary>
    public void RecordOn(Activity? reply)
    {
        if (reply is not { IsAllDataRequested: true })
        {
            return;
        }

        reply.SetTag(ReplyTelemetry.Attributes.StoreAppends, Appends);
        reply.SetTag(ReplyTelemetry.Attributes.StoreFrames, Frames);
        reply.SetTag(ReplyTelemetry.Attributes.StoreBytes, Bytes);
        reply.SetTag(ReplyTelemetry.Attributes.StoreSlowestAppend, SlowestAppend.TotalSeconds);
        reply.SetTag(ReplyTelemetry.Attributes.StoreFailedAppends, FailedAppends);
    }
}
