using System.Text;
using AspireChat.Tests.Contract;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Fixtures.Otlp;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AspireChat.Tests.Browser;

/// <summary>
/// ChatApi exporting to an OTLP receiver (as under Aspire), and Web relaying the page's spans to the same receiver.
/// </summary>
public sealed class TracedChatSite : IAsyncLifetime
{
    public OtlpReceiver Otlp { get; private set; } = null!;

    public ChatSite Site { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Otlp = await OtlpReceiver.StartAsync();
        Site = await ChatSite.StartAsync(
            OfflineModelPacing.Fast,
            new Dictionary<string, string?>
            {
                ["BrowserTelemetry__Endpoint"] = Otlp.HttpEndpoint.ToString(),
                ["BrowserTelemetry__Headers"] = $"x-otlp-api-key={AspireEnvironment.OtlpApiKey}",
            },
            AspireEnvironment.Otlp(Otlp, "grpc", "chatapi"));
    }

    public async ValueTask DisposeAsync()
    {
        await Site.DisposeAsync();
        await Otlp.DisposeAsync();
    }
}

/// <summary>The browser's own span per message: its place in the trace, what it holds and does not, and what a dead collector costs the page.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class BrowserSpanTests(BrowserFixture browser, TracedChatSite traced) : IClassFixture<TracedChatSite>
{
    private const double BrowserClockSkewMilliseconds = 50;
    private static readonly TimeSpan SpanTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AMessageARegenerateAndAnEditAreEachOneBrowserSpanWhoseChildIsChatApisReply()
    {
        await using var context = await browser.NewContextAsync(traced.Site.BaseAddress);
        var chat = await ChatPage.OpenAsync(context);

        await chat.ChatAsync("Trace this confidential question");
        await chat.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Regenerate the reply" }).ClickAsync();
        await Expect(chat.Replies.First.Locator(".position")).ToHaveTextAsync("2/2", new() { Timeout = ChatPage.ReplyTimeout });
        await chat.WaitForReplyAsync(0);
        var question = chat.Page.Locator(".message.user").First;
        await question.GetByRole(AriaRole.Button, new() { Name = "Edit the message" }).ClickAsync();
        var box = question.GetByRole(AriaRole.Textbox, new() { Name = "Edit your message" });
        await box.FillAsync("A confidential edit");
        await box.PressAsync("Enter");
        await Expect(chat.UserMessages).ToHaveTextAsync(["A confidential edit"], new() { Timeout = ChatPage.ReplyTimeout });
        await chat.WaitForReplyAsync(0);

        var spans = await traced.Otlp.WaitForSpansAsync(
            s => s.Count(span => span.ServiceName == "browser") >= 3
                && s.Where(span => span.ServiceName == "browser").All(b => s.Any(r => r.Name == "reply" && r.ParentSpanId == b.SpanId)),
            SpanTimeout,
            TestContext.Current.CancellationToken);
        var pageSpans = spans.Where(s => s.ServiceName == "browser").ToList();
        Assert.Equal(["message", "regenerate", "edit"], pageSpans.OrderBy(s => s.StartUnixNano).Select(s => s.Name));
        foreach (var page in pageSpans)
        {
            // The root of its trace; ChatApi's reply is its child (the frame's traceparent is this span's context).
            Assert.True(page.IsRoot, $"{page} has a parent");
            Assert.Equal(OtlpSpanKind.Client, page.Kind);
            var reply = Assert.Single(spans, s => s.Name == "reply" && s.ParentSpanId == page.SpanId);
            Assert.Equal(page.TraceId, reply.TraceId);
            Assert.Equal("done", page.Attribute("aspirechat.reply.outcome"));
            Assert.Equal(false, page.Attribute("aspirechat.reply.resumed"));
            Assert.True((long)page.Attribute("aspirechat.reply.chunks")! > 1, $"{page} counted {page.Attribute("aspirechat.reply.chunks")} chunks");
            Assert.Equal(reply.Attribute("gen_ai.conversation.id"), page.Attribute("gen_ai.conversation.id"));

            // From the key press to the end on screen: it starts before the reply (whose span goes on while ChatApi saves the turn).
            Assert.True(page.StartUnixNano <= reply.StartUnixNano, $"{page} starts after {reply}");
            var shown = Assert.Single(page.Events, e => e.Name == "aspirechat.reply.first_chunk_shown");
            Assert.True(page.EndUnixNano > shown.TimeUnixNano);
            var firstChunk = Assert.Single(reply.Events, e => e.Name == "aspirechat.reply.first_chunk");
            // Two clocks: the page's spans are timed by performance.timeOrigin + now(), which drifts from the system
            // clock ChatApi reads by some milliseconds; a CI run saw the chunk "shown" before ChatApi had it.
            var shownAfterChatApi = (shown.TimeUnixNano - firstChunk.TimeUnixNano) / 1e6;
            Assert.True(shownAfterChatApi >= -BrowserClockSkewMilliseconds, $"The first chunk was on screen {-shownAfterChatApi:F1} ms before ChatApi had it.");
            Assert.True((double)page.Attribute("aspirechat.reply.time_to_first_chunk_shown")! > 0);
            Assert.Contains(page.Events, e => e.Name == "aspirechat.reply.end");
        }

        // No span, in any of the three, holds what the user wrote or what the model answered.
        var bodies = traced.Otlp.Requests.Where(r => r.Protocol == "http/json").Select(r => Encoding.UTF8.GetString(r.Body)).ToList();
        Assert.NotEmpty(bodies);
        Assert.All(bodies, body => Assert.DoesNotContain("confidential", body, StringComparison.OrdinalIgnoreCase));
        Assert.All(bodies, body => Assert.DoesNotContain("offline model", body, StringComparison.OrdinalIgnoreCase));
        // The dashboard's key was added by Web: the page never had it.
        Assert.All(traced.Otlp.Requests.Where(r => r.Protocol == "http/json"), r => Assert.Equal(AspireEnvironment.OtlpApiKey, r.Headers["x-otlp-api-key"]));
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task WithTheCollectorDownThePageKeepsChattingAndItsExportsStayFew()
    {
        await using var site = await ChatSite.StartAsync(
            OfflineModelPacing.Fast,
            new Dictionary<string, string?> { ["BrowserTelemetry__Endpoint"] = $"http://127.0.0.1:{ServiceProcess.FreeTcpPort()}" },
            new Dictionary<string, string?>(),
            TestContext.Current.CancellationToken);
        await using var context = await browser.NewContextAsync(site.BaseAddress);
        var exports = 0;
        context.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/otlp/v1/traces", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref exports);
            }
        };
        var chat = await ChatPage.OpenAsync(context);

        for (var i = 1; i <= 3; i++)
        {
            Assert.False(string.IsNullOrWhiteSpace(await chat.ChatAsync($"Message {i} while the collector is down")));
        }

        // Past the exporter's time-out (4 s, retries included): every export the page will make has been made.
        await Task.Delay(TimeSpan.FromSeconds(6), TestContext.Current.CancellationToken);
        await Expect(chat.Replies).ToHaveCountAsync(3);
        Assert.InRange(Volatile.Read(ref exports), 1, 3 * 4);
        Assert.Empty(chat.Problems);
        Assert.Contains("could not be reached", site.Web.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithBrowserTelemetryOffThePageLoadsNoSdkAndSendsNoSpan()
    {
        await using var site = await ChatSite.StartAsync(OfflineModelPacing.Fast, TestContext.Current.CancellationToken);
        await using var context = await browser.NewContextAsync(site.BaseAddress);
        var requests = new List<string>();
        context.Request += (_, request) =>
        {
            lock (requests)
            {
                requests.Add(new Uri(request.Url).AbsolutePath);
            }
        };
        var chat = await ChatPage.OpenAsync(context);

        await chat.ChatAsync("Is anyone tracing this?");
        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);

        lock (requests)
        {
            Assert.Single(requests, path => path == "/otlp/config");
            Assert.DoesNotContain(requests, path => path.StartsWith("/lib/otel/", StringComparison.Ordinal));
            Assert.DoesNotContain(requests, path => path.StartsWith("/otlp/v1/", StringComparison.Ordinal));
        }

        Assert.Empty(chat.Problems);
    }
}
