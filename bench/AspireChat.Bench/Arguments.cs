using System.Globalization;
using AspireChat.MockOpenAI;

namespace AspireChat.Bench;

/// <summary>The command line: a verb followed by <c>--name value</c> options.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.OrdinalIgnoreCase);

    private Arguments(string verb) => Verb = verb;

    public string Verb { get; }

    public static Arguments Parse(string[] args)
    {
        var arguments = new Arguments(args.Length > 0 ? args[0] : "help");
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}': options are written --name value.");
            }

            var hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            arguments._options[args[i][2..]] = hasValue ? args[++i] : "true";
        }

        return arguments;
    }

    public string Text(string name, string fallback) => _options.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback) =>
        _options.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public TimeSpan Duration(string name, TimeSpan fallback) =>
        _options.TryGetValue(name, out var value) ? Durations.Parse(value) : fallback;

    public TimeSpan? OptionalDuration(string name) =>
        _options.TryGetValue(name, out var value) ? Durations.Parse(value) : null;

    public bool Flag(string name) => _options.TryGetValue(name, out var value) && bool.Parse(value);
}
