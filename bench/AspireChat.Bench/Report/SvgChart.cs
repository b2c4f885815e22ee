using System.Globalization;
using System.Net;
using System.Text;

namespace AspireChat.Bench.Report;

/// <summary>One line of a chart.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>
/// A small line chart written as SVG by hand: the report must be reproducible without a plotting library
/// (none restores here), and an SVG in the repository diffs as text.
/// </summary>
public static class SvgChart
{
    private const int Width = 860;
    private const int Height = 420;
    private const int Left = 90;
    private const int Right = 270;
    private const int Top = 40;
    private const int Bottom = 55;
    private static readonly int[] NiceMultiples = [1, 2, 5, 10];
    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

    /// <summary>Draws <paramref name="series"/>; <paramref name="logX"/> spaces x by powers of ten (1, 10, 100, 1,000).</summary>
    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool logX, double? referenceY = null, string? referenceLabel = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
        var (xMin, xMax) = points.Length == 0 ? (0.0, 1.0) : (points.Min(p => p.X), points.Max(p => p.X));
        var yValues = points.Select(p => p.Y).Append(referenceY ?? 0).Append(0).ToArray();
        var (yMin, yMax) = (Math.Min(0, yValues.Min()), NiceCeiling(yValues.Max()));
        if (logX)
        {
            (xMin, xMax) = (Math.Pow(10, Math.Floor(Math.Log10(Math.Max(xMin, 1)))), Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(xMax, 10)))));
        }
        else
        {
            (xMin, xMax) = (0, NiceCeiling(xMax));
        }

        double X(double x) => Left + ((logX ? (Math.Log10(x) - Math.Log10(xMin)) / (Math.Log10(xMax) - Math.Log10(xMin)) : (x - xMin) / (xMax - xMin)) * (Width - Left - Right));
        double Y(double y) => Height - Bottom - ((y - yMin) / (yMax - yMin) * (Height - Top - Bottom));

        var svg = new StringBuilder();
        svg.Append(Invariant($"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" font-family="sans-serif" font-size="12">"""));
        svg.Append(Invariant($"""<rect width="{Width}" height="{Height}" fill="white"/><text x="{Width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{Escape(title)}</text>"""));

        // Grid and ticks.
        var xTicks = logX
            ? Enumerable.Range(0, (int)Math.Round(Math.Log10(xMax / xMin)) + 1).Select(i => xMin * Math.Pow(10, i))
            : Enumerable.Range(0, 6).Select(i => xMin + ((xMax - xMin) * i / 5));
        foreach (var tick in xTicks)
        {
            svg.Append(Invariant($"""<line x1="{X(tick):F1}" y1="{Top}" x2="{X(tick):F1}" y2="{Height - Bottom}" stroke="#e5e5e5"/><text x="{X(tick):F1}" y="{Height - Bottom + 18}" text-anchor="middle">{tick:#,0.##}</text>"""));
        }

        foreach (var tick in Enumerable.Range(0, 6).Select(i => yMin + ((yMax - yMin) * i / 5)))
        {
            svg.Append(Invariant($"""<line x1="{Left}" y1="{Y(tick):F1}" x2="{Width - Right}" y2="{Y(tick):F1}" stroke="#e5e5e5"/><text x="{Left - 8}" y="{Y(tick) + 4:F1}" text-anchor="end">{tick:#,0.##}</text>"""));
        }

        svg.Append(Invariant($"""<rect x="{Left}" y="{Top}" width="{Width - Left - Right}" height="{Height - Top - Bottom}" fill="none" stroke="#888"/>"""));
        svg.Append(Invariant($"""<text x="{(Left + Width - Right) / 2}" y="{Height - 12}" text-anchor="middle">{Escape(xLabel)}</text>"""));
        svg.Append(Invariant($"""<text transform="translate(16 {(Top + Height - Bottom) / 2}) rotate(-90)" text-anchor="middle">{Escape(yLabel)}</text>"""));

        if (referenceY is { } reference)
        {
            svg.Append(Invariant($"""<line x1="{Left}" y1="{Y(reference):F1}" x2="{Width - Right}" y2="{Y(reference):F1}" stroke="#555" stroke-dasharray="6 4"/>"""));
            svg.Append(Invariant($"""<text x="{Width - Right - 4}" y="{Y(reference) - 5:F1}" text-anchor="end" fill="#555">{Escape(referenceLabel ?? "")}</text>"""));
        }

        for (var i = 0; i < series.Count; i++)
        {
            var colour = Colours[i % Colours.Length];
            var line = series[i].Points.Where(p => double.IsFinite(p.Y) && (!logX || p.X > 0)).OrderBy(p => p.X).ToArray();
            if (line.Length > 1)
            {
                svg.Append(Invariant($"""<polyline fill="none" stroke="{colour}" stroke-width="2" points="{string.Join(' ', line.Select(p => Invariant($"{X(p.X):F1},{Y(p.Y):F1}")))}"/>"""));
            }

            foreach (var (x, y) in line)
            {
                svg.Append(Invariant($"""<circle cx="{X(x):F1}" cy="{Y(y):F1}" r="3.5" fill="{colour}"/>"""));
            }

            var legendY = Top + 10 + (i * 20);
            svg.Append(Invariant($"""<line x1="{Width - Right + 12}" y1="{legendY}" x2="{Width - Right + 32}" y2="{legendY}" stroke="{colour}" stroke-width="3"/><text x="{Width - Right + 38}" y="{legendY + 4}">{Escape(series[i].Name)}</text>"""));
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>1, 2 or 5 times a power of ten, at or above <paramref name="value"/>: round axis ends.</summary>
    private static double NiceCeiling(double value)
    {
        if (value <= 0 || !double.IsFinite(value))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        return NiceMultiples.Select(m => m * power).First(v => v >= value);
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
