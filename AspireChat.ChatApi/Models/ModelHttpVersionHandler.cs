using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Models;

/// <summary>
/// Asks for <see cref="ModelOptions.HttpVersion"/> on every model request. The OpenAI SDK builds its own
/// <see cref="HttpRequestMessage"/>s, which default to HTTP/1.1 whatever the HttpClient's defaults say.
/// </summary>
internal sealed class ModelHttpVersionHandler(IOptions<ModelOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Version = options.Value.HttpVersion;
        request.VersionPolicy = options.Value.HttpVersionPolicy;
        return base.SendAsync(request, cancellationToken);
    }
}
