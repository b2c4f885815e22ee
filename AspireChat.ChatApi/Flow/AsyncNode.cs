namespace AspireChat.ChatApi.Flow;

/// <summary>
/// PocketFlow's AsyncNode: <c>prep</c> reads the shared store, <c>exec</c> does the work (and is
/// retried), <c>post</c> writes results back and returns the action that picks the next node.
/// </summary>
/// <typeparam name="TShared">The flow's shared store.</typeparam>
/// <typeparam name="TPrep">What prep hands to exec.</typeparam>
/// <typeparam name="TExec">What exec hands to post.</typeparam>
public abstract class AsyncNode<TShared, TPrep, TExec>(int maxRetries = 1, TimeSpan wait = default) : FlowNode<TShared>
{
    /// <summary>How many times exec is tried before <see cref="ExecFallbackAsync"/>; at least 1.</summary>
    public int MaxRetries { get; } = maxRetries >= 1 ? maxRetries : throw new ArgumentOutOfRangeException(nameof(maxRetries), "A node tries at least once.");

    /// <summary>The pause before the second try.</summary>
    public TimeSpan Wait { get; } = wait;

    /// <summary>
    /// What each later pause is multiplied by: 1 (PocketFlow's fixed wait) by default, 2 to double it, for work
    /// whose failure may last (a store that restarts).
    /// </summary>
    public double Backoff { get; init; } = 1;

    /// <summary>Time source for the pause between tries (a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    protected abstract Task<TPrep> PrepAsync(TShared shared, CancellationToken cancellationToken);

    protected abstract Task<TExec> ExecAsync(TPrep prep, CancellationToken cancellationToken);

    /// <summary>Called after a try of exec failed, before the next; <paramref name="attempt"/> counts from 1. Does nothing by default.</summary>
    protected virtual void OnExecFailed(TPrep prep, Exception exception, int attempt)
    {
    }

    /// <summary>Called when every try of exec failed. Rethrows by default.</summary>
    protected virtual Task<TExec> ExecFallbackAsync(TPrep prep, Exception exception, CancellationToken cancellationToken) =>
        Task.FromException<TExec>(exception);

    protected abstract Task<string?> PostAsync(TShared shared, TPrep prep, TExec exec, CancellationToken cancellationToken);

    public sealed override async Task<string?> RunAsync(TShared shared, CancellationToken cancellationToken)
    {
        var prep = await PrepAsync(shared, cancellationToken);
        var exec = await ExecWithRetriesAsync(prep, cancellationToken);
        return await PostAsync(shared, prep, exec, cancellationToken);
    }

    private async Task<TExec> ExecWithRetriesAsync(TPrep prep, CancellationToken cancellationToken)
    {
        var wait = Wait;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ExecAsync(prep, cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                OnExecFailed(prep, exception, attempt);
                if (attempt >= MaxRetries)
                {
                    return await ExecFallbackAsync(prep, exception, cancellationToken);
                }
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, TimeProvider, cancellationToken);
                wait *= Backoff;
            }
        }
    }
}
