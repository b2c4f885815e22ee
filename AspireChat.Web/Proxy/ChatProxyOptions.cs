namespace AspireChat.Web.Proxy;

/// <summary>Whom Web lets open a socket to ChatApi. Section <c>ChatProxy</c>.</summary>
public sealed class ChatProxyOptions
{
    public const string SectionName = "ChatProxy";

    /// <summary>
    /// Origins, besides the page's own, allowed to open <c>/ws</c> (e.g. a dev server on another port).
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];
}
