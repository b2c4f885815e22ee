namespace AspireChat.Bench.Verbs;

/// <summary><c>sweep</c>: every scenario of docs/benchmarks.md.</summary>
internal static class SweepVerb
{
    public static Task<int> RunAsync(Arguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(2);
    }
}
