using System.ComponentModel.DataAnnotations;
using System.Net.Security;

namespace AspireChat.ChatApi.Redis;

/// <summary>How the client behaves, apart from where it connects (the connection string). Section <c>Redis</c>.</summary>
public sealed class RedisClientOptions
{
    public const string SectionName = "Redis";

    /// <summary>A command with no reply after this long fails with <see cref="RedisTimeoutException"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after the first failed connection attempt; it doubles per failure up to <see cref="ReconnectMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Idle dedicated connections (transactions with WATCH, blocking reads) kept for reuse.</summary>
    [Range(0, 64)]
    public int MaxIdleDedicatedConnections { get; set; } = 4;

    /// <summary>
    /// Replaces the system's validation of the server's TLS certificate. Code only (tests trust their
    /// own certificate authority with it); production validates against the system trust, which is
    /// where Aspire puts its development certificate (SSL_CERT_DIR).
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }
}
