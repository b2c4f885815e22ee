using System.Text.Json;
using System.Text.Json.Serialization;
using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;

namespace AspireChat.Bench.Report;

/// <summary>One latency run: a target at a concurrency.</summary>
public sealed record LatencyRun(Target Target, int Users, LoadResult Result);

/// <summary>One relay-ceiling run.</summary>
public sealed record CeilingRun(Target Target, LoadResult Result);

/// <summary>One idle-connections run.</summary>
public sealed record IdleRun(Target Target, IdleResult Result);

/// <summary>Everything a sweep measured, and what it could not.</summary>
public sealed class SweepResults
{
    public required MachineInfo Machine { get; init; }

    public required DateTimeOffset Started { get; init; }

    public TimeSpan Elapsed { get; set; }

    public required Pacing LatencyPacing { get; init; }

    public required Pacing CeilingPacing { get; init; }

    public required int CeilingUsers { get; init; }

    public required TimeSpan CeilingDuration { get; init; }

    /// <summary>Ceiling runs per target; the best is reported.</summary>
    public int CeilingAttempts { get; init; } = 1;

    public required int IdleConnections { get; init; }

    public required IReadOnlyList<Target> Targets { get; init; }

    public List<LatencyRun> Latency { get; } = [];

    public List<CeilingRun> Ceiling { get; } = [];

    public List<IdleRun> Idle { get; } = [];

    /// <summary>Runs that could not be made, with why (a service that does not start yet, ...).</summary>
    public List<string> NotMeasured { get; } = [];

    /// <summary>Load averages seen between runs: shows how much other work shared the machine.</summary>
    public List<double> LoadAverages { get; } = [];

    // Targets are matched by name: results read back from JSON are equal in value, not the same instances.
    public LoadResult? LatencyOf(Target target, int users) =>
        Latency.FirstOrDefault(r => r.Target.Name == target.Name && r.Users == users)?.Result;

    public LoadResult? CeilingOf(Target target) => Ceiling.FirstOrDefault(r => r.Target.Name == target.Name)?.Result;

    public IdleResult? IdleOf(Target target) => Idle.FirstOrDefault(r => r.Target.Name == target.Name)?.Result;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // The run lists are get-only: fill them rather than replace them.
        PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Keeps the measurements, so the report can be written again (<c>report</c> verb) without a new sweep.</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static SweepResults Load(string path) =>
        JsonSerializer.Deserialize<SweepResults>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} holds no sweep results.");
}
