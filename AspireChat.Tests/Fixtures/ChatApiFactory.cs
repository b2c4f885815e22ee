using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.Fixtures;

/// <summary>
/// ChatApi in process (TestServer), configured through the same keys as in production, with a
/// fast offline model unless a test says otherwise, and any services a test replaces.
/// </summary>
public sealed class ChatApiFactory(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    private static readonly Dictionary<string, string?> s_defaults = new()
    {
        ["Model:Offline:TimeToFirstToken"] = "00:00:00",
        ["Model:Offline:TokensPerSecond"] = "0",
    };

    /// <summary>
    /// ChatApi calling an OpenAI-compatible <paramref name="endpoint"/> (the mock) for <paramref name="model"/>, with
    /// retries 10 ms apart; <paramref name="extra"/> adds or overrides settings.
    /// </summary>
    public static ChatApiFactory OverOpenAI(Uri endpoint, string model, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Model:Endpoint"] = endpoint.ToString(),
            ["Model:ApiKey"] = "test-key",
            ["Model:Name"] = model,
            ["Model:RetryWait"] = "00:00:00.010",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new ChatApiFactory(settings);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in s_defaults.Concat(settings ?? []).GroupBy(p => p.Key).Select(g => g.Last()))
        {
            builder.UseSetting(key, value);
        }

        // Services a test replaces (a clock it moves).
        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>A new browser, as far as ChatApi can tell: returns its owner cookie ("name=value").</summary>
    public async Task<string> NewOwnerCookieAsync()
    {
        using var client = CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var response = await client.GetAsync("/api/conversations");
        response.EnsureSuccessStatusCode();
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        return setCookie.Split(';')[0];
    }

    /// <summary>A new browser's client (sending its owner cookie) and the cookie.</summary>
    public async Task<(HttpClient Client, string Cookie)> NewOwnerAsync()
    {
        var cookie = await NewOwnerCookieAsync();
        return (CreateClient(cookie), cookie);
    }

    /// <summary>Sends one message as the owner of <paramref name="cookie"/> and waits for its reply to end; returns the conversation's id.</summary>
    public async Task<string> ChatAsync(string cookie, string content, string? conversationId = null)
    {
        await using var socket = await ConnectAsync(cookie);
        await socket.SendMessageAsync(content, conversationId);
        var frames = await socket.ReceiveReplyAsync();
        Assert.Equal("end", (string?)frames[^1]["type"]);
        return (string)frames[0]["conversationId"]!;
    }

    public async Task<ChatSocketClient> ConnectAsync(string? cookie = null, string? origin = null)
    {
        var client = Server.CreateWebSocketClient();
        client.ConfigureRequest = request =>
        {
            if (cookie is not null)
            {
                request.Headers.Cookie = cookie;
            }

            if (origin is not null)
            {
                request.Headers.Origin = origin;
            }
        };
        return new ChatSocketClient(await client.ConnectAsync(new Uri(Server.BaseAddress, "/ws"), CancellationToken.None));
    }

    /// <summary>An HttpClient that sends <paramref name="cookie"/>.</summary>
    public HttpClient CreateClient(string cookie)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
    }

    public async Task<JsonObject?> GetConversationAsync(string cookie, string id)
    {
        using var client = CreateClient(cookie);
        using var response = await client.GetAsync($"/api/conversations/{id}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
    }
}
