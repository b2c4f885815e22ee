using System.Security.Cryptography;
using System.Text;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// A Lua script that Redis runs atomically, called by its SHA1 (EVALSHA) so each call sends the
/// hash, not the text. <see cref="RedisCommands.EvalShaAsync"/> falls back to EVAL, which runs the
/// script and caches it again, when Redis does not know it (NOSCRIPT: after a restart or SCRIPT FLUSH).
/// </summary>
public sealed class RedisScript
{
    public RedisScript(string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        Source = source;
        // The name Redis gives a script, not a security measure.
#pragma warning disable CA5350
        Sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(source)));
#pragma warning restore CA5350
    }

    public string Source { get; }

    /// <summary>The script's SHA1 as 40 lower-case hex digits, as SCRIPT LOAD returns it.</summary>
    public string Sha1 { get; }
}
