using AspireChat.ChatApi.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>
/// The conversations' pub/sub channels, sharded (<c>SSUBSCRIBE</c>/<c>SPUBLISH</c>) or classic as
/// <see cref="ReplyOptions.PubSub"/> says. On a cluster a classic <c>PUBLISH</c> goes to every node over the cluster bus,
/// and every node passes it to its subscribers; a sharded one stays on the nodes of the channel's slot, which is the
/// conversation's (its name carries the conversation's hash tag), so the store script may <c>SPUBLISH</c> there.
/// <see cref="ReplyPubSub.Auto"/> decides once, from the servers the multiplexer is connected to when it is first asked:
/// sharded when all of them are Redis 7 or later, the release that brought sharded pub/sub.
/// </summary>
internal sealed class RedisConversationChannels(IConnectionMultiplexer multiplexer, IOptions<ReplyOptions> options)
{
    private const int Unknown = 0, Classic = 1, Sharded = 2;
    private static readonly Version s_shardedSince = new(7, 0);
    private int _mode = options.Value.PubSub switch
    {
        ReplyPubSub.Sharded => Sharded,
        ReplyPubSub.Classic => Classic,
        _ => Unknown,
    };

    /// <summary>Whether the channels are sharded. Throws a <see cref="RedisConnectionException"/> while Auto cannot tell yet.</summary>
    public bool AreSharded
    {
        get
        {
            if (Volatile.Read(ref _mode) == Unknown)
            {
                Volatile.Write(ref _mode, Detect() ? Sharded : Classic);
            }

            return _mode == Sharded;
        }
    }

    /// <summary>The conversation's channel, to subscribe to or publish on.</summary>
    public RedisChannel Of(string conversationId) => AreSharded
        ? RedisChannel.Sharded(RedisKeys.ConversationChannel(conversationId))
        : RedisChannel.Literal(RedisKeys.ConversationChannel(conversationId));

    /// <summary>The command a script publishes on the conversation's channel with.</summary>
    public string PublishCommand => AreSharded ? "SPUBLISH" : "PUBLISH";

    private bool Detect()
    {
        // Not a guess while disconnected: every instance must decide alike, so the caller fails as if Redis were away.
        var servers = multiplexer.GetServers().Where(server => server.IsConnected).ToList();
        return servers.Count > 0
            ? servers.All(server => server.Version >= s_shardedSince)
            : throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "No Redis server is connected yet to tell whether it has sharded pub/sub.", null, CommandStatus.Unknown);
    }
}
