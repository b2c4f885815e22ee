namespace AspireChat.Bench.Processes;

/// <summary>
/// Methods a .NET process has compiled, counted from the perf map the runtime writes with
/// <c>DOTNET_PerfMapEnabled</c> (one line per compiled method or stub, including every re-compilation at a higher
/// tier). A window in which the count does not move ran only code that was already compiled: tiering is done.
/// </summary>
internal sealed class JitActivity(string mapPath)
{
    /// <summary>The value of <c>DOTNET_PerfMapEnabled</c> that writes the perf map alone (no jitdump).</summary>
    public const string PerfMapOnly = "3";

    private long _offset;
    private int _lines;

    /// <summary>The map the runtime writes for process <paramref name="pid"/>.</summary>
    public static JitActivity ForProcess(int pid) => new($"/tmp/perf-{pid}.map");

    public string MapPath { get; } = mapPath;

    /// <summary>Lines written so far (0 when the runtime has written no map); reads only what is new since the last call.</summary>
    public int Count()
    {
        if (!File.Exists(MapPath))
        {
            return 0;
        }

        using var map = new FileStream(MapPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        map.Seek(_offset, SeekOrigin.Begin);
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = map.Read(buffer)) > 0)
        {
            _lines += buffer.AsSpan(0, read).Count((byte)'\n');
            _offset += read;
        }

        return _lines;
    }

    /// <summary>The names of the methods compiled after line <paramref name="fromLine"/> (at most <paramref name="max"/>), to say what was still tiering.</summary>
    public IReadOnlyList<string> NamesSince(int fromLine, int max)
    {
        if (!File.Exists(MapPath))
        {
            return [];
        }

        using var map = new FileStream(MapPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(map);
        // A line is "<address> <size> <name>".
        return [.. ReadLines(reader).Skip(fromLine).Take(max).Select(line => line.Split(' ', 3) is { Length: 3 } parts ? parts[2] : line)];
    }

    /// <summary>
    /// The tier a perf map line names with <c>DOTNET_PerfMapShowOptimizationTiers=1</c> (<c>QuickJitted</c>,
    /// <c>InstrumentedTier</c>, <c>OptimizedTier1</c>, ...), or <c>stub</c>.
    /// </summary>
    public static string TierOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith("stub ", StringComparison.Ordinal))
        {
            return "stub";
        }

        var open = name.LastIndexOf('[');
        return name.EndsWith(']') && open >= 0 ? name[(open + 1)..^1] : "unknown";
    }

    /// <summary>Deletes the map when the process is gone (the runtime leaves it in /tmp).</summary>
    public void Delete() => File.Delete(MapPath);

    private static IEnumerable<string> ReadLines(StreamReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }
}
