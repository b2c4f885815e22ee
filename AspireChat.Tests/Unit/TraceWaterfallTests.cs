using System.Globalization;
using System.Xml.Linq;
using AspireChat.Tests.Fixtures.Otlp;

namespace AspireChat.Tests.Unit;

public sealed class TraceWaterfallTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void DrawsParentsAboveTheirChildrenWithBarsOnOneTimeAxis()
    {
        // Arrange: web's hop 0-100 ms, its child the reply 10-90 ms, the reply's child the model call 20-60 ms.
        var spans = new[]
        {
            Span("c", "b", "POST <model> & co", "chatapi", 20, 60),
            Span("a", "browser", "ws message", "web", 0, 100),
            Span("b", "a", "chat gpt-4o-mini", "chatapi", 10, 90, new ReceivedSpanEvent("aspirechat.reply.first_chunk", Ms(30), new Dictionary<string, object?>())),
        };

        // Act
        var svg = XDocument.Parse(TraceWaterfall.Render(spans, "A trace"));

        // Assert: rows in tree order, escaped names, bars placed by time, the event drawn.
        var labels = svg.Descendants(Svg + "text").Where(t => t.Element(Svg + "tspan") is not null).Select(t => t.Value).ToList();
        Assert.Equal(["web ws message", "chatapi chat gpt-4o-mini", "chatapi POST <model> & co"], labels);
        var bars = svg.Descendants(Svg + "rect").Where(r => r.Element(Svg + "title") is not null).Select(r => (X: Number(r, "x"), Width: Number(r, "width"))).ToList();
        Assert.Equal(3, bars.Count);
        Assert.True(bars[0].X < bars[1].X && bars[1].X < bars[2].X, "Later spans start further right.");
        Assert.True(bars[2].X + bars[2].Width < bars[1].X + bars[1].Width, "The model call ends before the reply.");
        Assert.Equal(bars[0].Width * 0.8, bars[1].Width, precision: 0);
        Assert.Single(svg.Descendants(Svg + "path"));
    }

    [Fact]
    public void ALinkedTraceIsDrawnAsItsOwnTreeAndTheLinkIsNamed()
    {
        // Arrange: the socket's trace (web's request, chatapi's /ws under it) and a reply in another trace linking to chatapi's /ws.
        var spans = new[]
        {
            Span("r", "browser", "chat gpt-4o-mini", "chatapi", 20, 80) with { TraceId = "reply", Links = [new ReceivedSpanLink("socket", "s")] },
            Span("w", "", "GET /ws", "web", 0, 100) with { TraceId = "socket" },
            Span("s", "w", "GET /ws", "chatapi", 5, 95) with { TraceId = "socket" },
        };

        // Act
        var svg = XDocument.Parse(TraceWaterfall.Render(spans, "Two traces"));

        // Assert
        var labels = svg.Descendants(Svg + "text").Where(t => t.Element(Svg + "tspan") is not null).Select(t => t.Value).ToList();
        Assert.Equal(["web GET /ws", "chatapi GET /ws", "chatapi chat gpt-4o-mini ⇢ GET /ws"], labels);
        Assert.Contains(svg.Descendants(Svg + "text"), t => t.Value.StartsWith("2 traces (reply, socket)", StringComparison.Ordinal));
    }

    [Fact]
    public void RefusesAnEmptyTrace() => Assert.Throws<ArgumentException>(() => TraceWaterfall.Render([], "nothing"));

    private static ReceivedSpan Span(string id, string parent, string name, string service, int startMs, int endMs, params ReceivedSpanEvent[] events) =>
        new("trace", id, parent, name, OtlpSpanKind.Internal, Ms(startMs), Ms(endMs), new Dictionary<string, object?>(), events, [],
            OtlpStatusCode.Unset, "", "test", new Dictionary<string, object?> { ["service.name"] = service });

    private static ulong Ms(int milliseconds) => 1_700_000_000_000_000_000UL + ((ulong)milliseconds * 1_000_000UL);

    private static double Number(XElement element, string attribute) => double.Parse(element.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);
}
