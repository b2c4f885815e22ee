using System.ComponentModel.DataAnnotations;

namespace AspireChat.ChatApi;

/// <summary>How ChatApi talks to clients. Section <c>Chat</c>.</summary>
public sealed class ChatServiceOptions
{
    public const string SectionName = "Chat";

    [Required(AllowEmptyStrings = true)]
    public string SystemPrompt { get; set; } =
        "You are AspireChat, a helpful assistant. Answer clearly and concisely; use Markdown where it helps.";

    /// <summary>Characters of history sent with each message, newest first; older messages are left out.</summary>
    [Range(1_000, 10_000_000)]
    public int HistoryBudgetCharacters { get; set; } = 24_000;

    /// <summary>The largest frame a client may send.</summary>
    [Range(1_024, 16 * 1024 * 1024)]
    public int MaxFrameBytes { get; set; } = 32 * 1024;

    /// <summary>Origins allowed to open the WebSocket besides the page's own.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Frames queued for one connection before it counts as too slow and is closed.</summary>
    [Range(16, 1_000_000)]
    public int MaxQueuedFrames { get; set; } = 8_192;

    /// <summary>Tries to write a finished turn to history before the client is told it was not saved.</summary>
    [Range(1, 100)]
    public int HistoryWriteAttempts { get; set; } = 6;

    /// <summary>The first pause between two history writes; it doubles each time.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan HistoryWriteRetryWait { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>At shutdown, how long streaming replies may run on before they are cancelled and saved as partial.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownDrainTime { get; set; } = TimeSpan.FromSeconds(10);

    public ChatLimits Limits { get; set; } = new();
}

/// <summary>Throttles for one client.</summary>
public sealed class ChatLimits
{
    /// <summary>Messages a connection may send per minute, on average.</summary>
    [Range(1, int.MaxValue)]
    public int MessagesPerMinute { get; set; } = 30;

    /// <summary>Messages a connection may send at once before the rate applies.</summary>
    [Range(1, int.MaxValue)]
    public int MessageBurst { get; set; } = 10;

    /// <summary>WebSockets one client (owner cookie) may hold open at once.</summary>
    [Range(1, int.MaxValue)]
    public int MaxConnectionsPerClient { get; set; } = 16;
}
