using System.Globalization;

namespace AspireChat.ChatApi.Redis;

/// <summary>A Redis server address.</summary>
public sealed record RedisEndpoint(string Host, int Port)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// A connection string in StackExchange.Redis's format, the one Aspire injects as
/// <c>ConnectionStrings__cache</c>: <c>host:port[,host:port...][,password=..][,user=..][,ssl=true]
/// [,defaultDatabase=N][,connectTimeout=ms][,abortConnect=false]</c>. Options this client does not
/// use are kept in <see cref="IgnoredOptions"/> (names only) so the caller can log them.
/// </summary>
public sealed record RedisConnectionOptions
{
    public const int DefaultPort = 6379;

    public required IReadOnlyList<RedisEndpoint> Endpoints { get; init; }

    public string? User { get; init; }

    public string? Password { get; init; }

    public bool Ssl { get; init; }

    /// <summary>The host name the server certificate must match; the endpoint's host when not set.</summary>
    public string? SslHost { get; init; }

    public int DefaultDatabase { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Accepted for compatibility; this client never fails start-up on a connection error.</summary>
    public bool AbortConnect { get; init; }

    /// <summary>Names of options that were recognised as StackExchange.Redis's but are not used here, or unknown.</summary>
    public IReadOnlyList<string> IgnoredOptions { get; init; } = [];

    public static RedisConnectionOptions Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var endpoints = new List<RedisEndpoint>();
        var ignored = new List<string>();
        string? user = null, password = null, sslHost = null;
        bool ssl = false, abortConnect = false;
        var database = 0;
        var connectTimeout = TimeSpan.FromSeconds(5);

        foreach (var rawPart in connectionString.Split(','))
        {
            var part = rawPart.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                endpoints.Add(ParseEndpoint(part));
                continue;
            }

            var name = part[..equals].Trim();
            // The value is everything after the first '=': passwords may contain '='.
            var value = part[(equals + 1)..];
            switch (name.ToLowerInvariant())
            {
                case "password":
                    password = value;
                    break;
                case "user":
                    user = value.Trim();
                    break;
                case "ssl":
                    ssl = ParseBool(name, value);
                    break;
                case "sslhost":
                    sslHost = value.Trim();
                    break;
                case "defaultdatabase":
                    database = ParseInt(name, value, min: 0);
                    break;
                case "connecttimeout":
                    connectTimeout = TimeSpan.FromMilliseconds(ParseInt(name, value, min: 1));
                    break;
                case "abortconnect":
                    abortConnect = ParseBool(name, value);
                    break;
                default:
                    ignored.Add(name);
                    break;
            }
        }

        if (endpoints.Count == 0)
        {
            throw new FormatException("The Redis connection string names no host:port.");
        }

        return new RedisConnectionOptions
        {
            Endpoints = endpoints,
            User = user,
            Password = password,
            Ssl = ssl,
            SslHost = sslHost,
            DefaultDatabase = database,
            ConnectTimeout = connectTimeout,
            AbortConnect = abortConnect,
            IgnoredOptions = ignored,
        };
    }

    /// <summary>The connection string with the password replaced: safe to log.</summary>
    public string ToRedactedString()
    {
        var parts = Endpoints.Select(e => e.ToString()).ToList();
        if (User is not null)
        {
            parts.Add($"user={User}");
        }

        if (Password is not null)
        {
            parts.Add("password=*****");
        }

        if (Ssl)
        {
            parts.Add("ssl=true");
        }

        if (DefaultDatabase != 0)
        {
            parts.Add($"defaultDatabase={DefaultDatabase.ToString(CultureInfo.InvariantCulture)}");
        }

        return string.Join(',', parts);
    }

    // A record would print every property, the password too; this never does.
    public override string ToString() => ToRedactedString();

    private static RedisEndpoint ParseEndpoint(string text)
    {
        string host;
        var port = DefaultPort;
        if (text.StartsWith('['))
        {
            // [IPv6]:port
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"Invalid Redis endpoint '{text}'.");
            }

            host = text[1..close];
            if (close + 1 < text.Length)
            {
                port = ParsePort(text, text[(close + 1)..].TrimStart(':'));
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            host = colon < 0 ? text : text[..colon];
            if (colon >= 0)
            {
                port = ParsePort(text, text[(colon + 1)..]);
            }
        }

        return host.Length == 0 ? throw new FormatException($"Invalid Redis endpoint '{text}'.") : new RedisEndpoint(host, port);
    }

    private static int ParsePort(string endpoint, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new FormatException($"Invalid port in Redis endpoint '{endpoint}'.");

    private static bool ParseBool(string name, string value) =>
        bool.TryParse(value.Trim(), out var result) ? result : throw new FormatException($"Redis option '{name}' must be true or false.");

    private static int ParseInt(string name, string value, int min) =>
        int.TryParse(value.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var result) && result >= min
            ? result
            : throw new FormatException($"Redis option '{name}' must be an integer of at least {min}.");
}
