using System.ComponentModel.DataAnnotations;

namespace AspireChat.Web.Proxy;

/// <summary>How Web reaches ChatApi and whom it lets open a socket. Section <c>ChatProxy</c>.</summary>
public sealed class ChatProxyOptions
{
    public const string SectionName = "ChatProxy";

    /// <summary>
    /// ChatApi's base address. Not bound from the section: it comes from the service-discovery
    /// configuration Aspire injects (see <see cref="ChatApiAddress"/>).
    /// </summary>
    [Required]
    public Uri? ChatApi { get; set; }

    /// <summary>
    /// Origins, besides the page's own, allowed to open <c>/ws</c> (e.g. a dev server on another port).
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>How often the browser's socket is pinged, so a vanished browser is noticed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a ping may go unanswered before the browser's socket is aborted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long to wait for ChatApi to accept a connection before the browser is answered 502.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
