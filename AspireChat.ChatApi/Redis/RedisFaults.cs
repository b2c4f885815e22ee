using StackExchange.Redis;

namespace AspireChat.ChatApi.Redis;

internal static class RedisFaults
{
    /// <summary>
    /// What Redis being away, slow or refusing throws: StackExchange.Redis's <see cref="RedisException"/>
    /// (connection, server errors) and its <see cref="RedisTimeoutException"/>, which is a <see cref="TimeoutException"/>.
    /// </summary>
    public static bool IsRedisFault(this Exception exception) => exception is RedisException or RedisTimeoutException;
}
