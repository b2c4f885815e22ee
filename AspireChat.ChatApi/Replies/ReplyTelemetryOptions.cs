namespace AspireChat.ChatApi.Replies;

/// <summary>How much of a reply's work its trace shows. Section <c>Telemetry</c>.</summary>
public sealed class ReplyTelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>
    /// False (the default): the Redis commands a reply sends for every stored batch of frames, and for every renewal of
    /// its leases, are summed up on the reply span (<c>aspirechat.reply.store.*</c>) instead of being a span each, so a
    /// reply's trace stays the same size however long it is. True: each of them is its own span under the reply.
    /// </summary>
    public bool PerCommandSpans { get; set; }
}
