namespace AspireChat.Web.Proxy;

/// <summary>Where ChatApi is: Aspire's service-discovery configuration, else ChatApi's local launch profile.</summary>
public static class ChatApiAddress
{
    /// <summary>ChatApi's <c>http</c> profile in its launchSettings.json, for a plain <c>dotnet run</c> of both.</summary>
    public static readonly Uri LocalDefault = new("http://localhost:5081");

    /// <summary>
    /// Aspire's <c>WithReference(chatapi)</c> injects <c>services__chatapi__https__0</c> and
    /// <c>services__chatapi__http__0</c>; https wins when both are there.
    /// </summary>
    public static Uri Resolve(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var key in (string[])["services:chatapi:https:0", "services:chatapi:http:0"])
        {
            if (Uri.TryCreate(configuration[key], UriKind.Absolute, out var address))
            {
                return address;
            }
        }

        return LocalDefault;
    }
}
