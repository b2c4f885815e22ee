using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Text;
using AspireChat.MockOpenAI;

namespace AspireChat.Tests.Integration.MockOpenAI;

/// <summary>The mock's second port serves the same API over HTTP/2 only, in cleartext (prior knowledge).</summary>
public sealed class MockOpenAIHttp2Tests
{
    private const string Body = """{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheHttp2PortStreamsTheSameTokensAndRecordsTheProtocol()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 4), Cancellation);

        var overHttp2 = await PostAsync(mock.Http2BaseAddress, HttpVersion.Version20);
        var overHttp11 = await PostAsync(mock.BaseAddress, HttpVersion.Version11);

        Assert.Equal(HttpVersion.Version20, overHttp2.Version);
        Assert.Equal(overHttp11.Tokens, overHttp2.Tokens);
        Assert.Contains("tok3", overHttp2.Tokens);
        Assert.Equal(["HTTP/2", "HTTP/1.1"], mock.Requests.Select(r => r.Protocol));
        Assert.NotEqual(mock.Requests[0].ConnectionId, mock.Requests[1].ConnectionId);
    }

    [Fact]
    public async Task TheHttp2PortRefusesHttp11()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(), Cancellation);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => PostAsync(mock.Http2BaseAddress, HttpVersion.Version11));
        Assert.Empty(mock.Requests);
    }

    [Fact]
    public async Task OnePortAskedForBothEndpointsIsRefusedBeforeListening()
    {
        var options = MockOpenAIOptions.Instant();
        options.Port = options.Http2Port = 47999;

        var error = await Assert.ThrowsAsync<ValidationException>(() => MockOpenAIServer.StartAsync(options, Cancellation));

        Assert.Contains("Port and Http2Port must differ", error.Message);
    }

    private static async Task<(Version Version, string Tokens)> PostAsync(Uri baseAddress, Version version)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "chat/completions"))
        {
            Content = new StringContent(Body, Encoding.UTF8, "application/json"),
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await http.SendAsync(request, Cancellation);
        response.EnsureSuccessStatusCode();
        var events = await response.Content.ReadAsStringAsync(Cancellation);
        // The ids and timestamps differ per request; the tokens do not.
        var tokens = string.Concat(events.Split('\n').Where(line => line.Contains("\"content\":\"tok", StringComparison.Ordinal))
            .Select(line => line[(line.IndexOf("\"content\":\"", StringComparison.Ordinal) + 11)..].Split('"')[0]));
        return (response.Version, tokens);
    }
}
