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

    /// <summary>
    /// The target named by <c>--target</c>, with <c>--env KEY=VALUE;KEY=VALUE</c> added to ChatApi's environment
    /// (to measure a setting or a feature switch without a code change), and <c>--assembly path/AspireChat.ChatApi.dll</c>
    /// in place of this checkout's build (to measure a code change against a copy of the build before it), and
    /// <c>--model-http 2.0|1.1</c> (by default 2.0 for this checkout's build, 1.1 for another's).
    /// </summary>
    public Processes.Target Target(string fallback)
    {
        var target = Processes.Target.Parse(Text("target", fallback));
        if (_options.TryGetValue("assembly", out var assembly))
        {
            target = target with { Name = $"{target.Name} [{assembly}]", ChatApiAssembly = Path.GetFullPath(assembly), Build = assembly, ModelHttpVersion = "1.1" };
        }

        if (_options.TryGetValue("model-http", out var modelHttp))
        {
            target = target with { Name = $"{target.Name} (model over HTTP/{modelHttp})", ModelHttpVersion = Processes.Target.ParseModelHttpVersion(modelHttp) };
        }

        if (!_options.TryGetValue("env", out var pairs))
        {
            return target;
        }

        var environment = pairs.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => (string?)(pair.Length > 1 ? pair[1] : ""));
        return target with { Name = $"{target.Name} ({pairs})", ChatApiEnvironment = environment };
    }

    public bool Flag(string name) => _options.TryGetValue(name, out var value) && bool.Parse(value);
}
