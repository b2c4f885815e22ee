using System.Globalization;
using System.Security;
using System.Text;

namespace AspireChat.Tests.Fixtures.Otlp;

/// <summary>
/// Renders one trace as a waterfall in SVG, the way the Aspire dashboard's trace view draws it:
/// a row per span in parent-then-children order, indented by depth, a bar for its time on a shared
/// axis, coloured by service, with its events as ticks. Used to draw docs/trace-waterfall.svg from
/// what a contract test really received, since the dashboard itself cannot be shown here. Spans of
/// several traces may be drawn together (a reply and the socket its span links to): each trace is
/// its own tree, and a span's link to another span in the picture is named beside it.
/// </summary>
public static class TraceWaterfall
{
    private const int Width = 1100;
    private const int LabelWidth = 430;
    private const int RowHeight = 24;
    private const int Top = 72;
    private static readonly string[] Palette = ["#4f6bed", "#d9730d", "#0f9d58", "#a142f4", "#c5221f", "#00838f"];

    public static string Render(IReadOnlyList<ReceivedSpan> spans, string title)
    {
        ArgumentNullException.ThrowIfNull(spans);
        if (spans.Count == 0)
        {
            throw new ArgumentException("A waterfall needs at least one span.", nameof(spans));
        }

        var rows = Order(spans);
        var start = spans.Min(s => s.StartUnixNano);
        var end = spans.Max(s => s.EndUnixNano);
        var total = Math.Max(1UL, end - start);
        var services = spans.Select(s => s.ServiceName).Distinct().Order(StringComparer.Ordinal).ToList();
        double X(ulong time) => LabelWidth + ((time - start) / (double)total * (Width - LabelWidth - 90));

        var height = Top + (rows.Count * RowHeight) + 40;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="Segoe UI, Helvetica, Arial, sans-serif" font-size="12">""").AppendLine();
        svg.AppendLine("""<rect width="100%" height="100%" fill="#ffffff"/>""");
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="12" y="22" font-size="15" font-weight="600">{Escape(title)}</text>""").AppendLine();
        var traceIds = spans.Select(s => s.TraceId).Distinct().ToList();
        var traces = traceIds.Count == 1 ? $"trace {traceIds[0]}" : $"{traceIds.Count} traces ({string.Join(", ", traceIds)})";
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="12" y="42" fill="#555">{traces} · {spans.Count} spans · {services.Count} services · {Milliseconds(total)}</text>""").AppendLine();

        // Service legend, top right.
        var legendX = Width - 12;
        foreach (var service in Enumerable.Reverse(services))
        {
            var label = Escape(service);
            legendX -= 18 + (label.Length * 7);
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{legendX}" y="12" width="12" height="12" rx="2" fill="{Colour(services, service)}"/><text x="{legendX + 16}" y="22">{label}</text>""").AppendLine();
        }

        // Striped rows first, then the time axis over them, then the spans.
        for (var i = 0; i < rows.Count; i += 2)
        {
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="0" y="{Top + (i * RowHeight)}" width="{Width}" height="{RowHeight}" fill="#f6f7f9"/>""").AppendLine();
        }

        // A time axis: gridlines at each quarter of the trace, labelled from its start.
        for (var quarter = 0; quarter <= 4; quarter++)
        {
            var time = start + (total * (ulong)quarter / 4);
            var gx = X(time);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{gx:F1}" y1="{Top - 4}" x2="{gx:F1}" y2="{Top + (rows.Count * RowHeight)}" stroke="#dde1e6"/><text x="{gx:F1}" y="{Top - 8}" fill="#777" text-anchor="middle">{Milliseconds(time - start)}</text>""").AppendLine();
        }

        for (var i = 0; i < rows.Count; i++)
        {
            var (span, depth) = rows[i];
            var y = Top + (i * RowHeight);
            var colour = Colour(services, span.ServiceName);
            var linked = span.Links.Select(link => spans.FirstOrDefault(s => s.SpanId == link.SpanId)).OfType<ReceivedSpan>().Select(s => $" ⇢ {s.Name}");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{12 + (depth * 14)}" y="{y + 16}"><tspan fill="{colour}" font-weight="600">{Escape(span.ServiceName)}</tspan> {Escape(span.Name)}<tspan fill="#777">{Escape(string.Concat(linked))}</tspan></text>""").AppendLine();
            var x1 = X(span.StartUnixNano);
            var barWidth = Math.Max(2, X(span.EndUnixNano) - x1);
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{x1:F1}" y="{y + 5}" width="{barWidth:F1}" height="{RowHeight - 10}" rx="2" fill="{colour}"{(span.StatusCode == OtlpStatusCode.Error ? " stroke=\"#c5221f\" stroke-width=\"2\"" : "")}><title>{Escape(Tooltip(span))}</title></rect>""").AppendLine();
            foreach (var spanEvent in span.Events)
            {
                var ex = X(spanEvent.TimeUnixNano);
                svg.Append(CultureInfo.InvariantCulture, $"""<path d="M{ex:F1} {y + 2} l4 5 l-4 5 l-4 -5 z" fill="#222"><title>{Escape(spanEvent.Name)} at +{Milliseconds(spanEvent.TimeUnixNano - span.StartUnixNano)}</title></path>""").AppendLine();
            }

            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{x1 + barWidth + 6:F1}" y="{y + 16}" fill="#555">{Milliseconds(span.EndUnixNano - span.StartUnixNano)}</text>""").AppendLine();
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text x="12" y="{height - 14}" fill="#777">Rendered from the spans the contract test's OTLP receiver decoded; ◆ = span event (first chunk, stop, disconnect); ⇢ = link to another trace's span.</text>""").AppendLine();
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>Depth-first from the roots (spans whose parent is not in the trace), children by start time.</summary>
    private static List<(ReceivedSpan Span, int Depth)> Order(IReadOnlyList<ReceivedSpan> spans)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet();
        var children = spans.ToLookup(s => s.ParentSpanId);
        var rows = new List<(ReceivedSpan, int)>();
        void Visit(ReceivedSpan span, int depth)
        {
            rows.Add((span, depth));
            foreach (var child in children[span.SpanId].OrderBy(c => c.StartUnixNano))
            {
                Visit(child, depth + 1);
            }
        }

        foreach (var root in spans.Where(s => !ids.Contains(s.ParentSpanId)).OrderBy(s => s.StartUnixNano))
        {
            Visit(root, 0);
        }

        return rows;
    }

    private static string Tooltip(ReceivedSpan span) =>
        $"{span.Name} ({span.Kind}, {span.ScopeName})\n" + string.Join("\n", span.Attributes.Select(a => $"{a.Key} = {Format(a.Value)}"));

    private static string Format(object? value) => value switch
    {
        object?[] array => "[" + string.Join(", ", array.Select(Format)) + "]",
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string Milliseconds(ulong nanoseconds) => (nanoseconds / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static string Colour(List<string> services, string service) => Palette[services.IndexOf(service) % Palette.Length];

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
