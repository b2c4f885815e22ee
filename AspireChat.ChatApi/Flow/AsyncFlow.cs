using Microsoft.Extensions.Logging.Abstractions;

namespace AspireChat.ChatApi.Flow;

/// <summary>
/// PocketFlow's AsyncFlow: runs its start node, then the successor each action names, until a
/// node's action has no successor. A flow is itself a node, so flows nest.
/// </summary>
public sealed partial class AsyncFlow<TShared>(FlowNode<TShared> start, ILogger? logger = null) : FlowNode<TShared>
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public FlowNode<TShared> Start { get; } = start ?? throw new ArgumentNullException(nameof(start));

    /// <summary>Runs the nodes in turn; returns the last node's action, so an outer flow can branch on it.</summary>
    public override async Task<string?> RunAsync(TShared shared, CancellationToken cancellationToken)
    {
        FlowNode<TShared>? current = Start;
        string? action = null;
        while (current is not null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            action = await current.RunAsync(shared, cancellationToken);
            current = Next(current, action);
        }

        return action;
    }

    private FlowNode<TShared>? Next(FlowNode<TShared> current, string? action)
    {
        if (current.Successors.TryGetValue(action ?? DefaultAction, out var next))
        {
            return next;
        }

        // As in PocketFlow: a node with successors but none for this action ends the flow, and says so.
        if (current.Successors.Count > 0)
        {
            LogFlowEnds(_logger, action ?? DefaultAction, current.GetType().Name, string.Join(", ", current.Successors.Keys));
        }

        return null;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Flow ends: action '{Action}' of {Node} has no successor (it has: {Actions}).")]
    private static partial void LogFlowEnds(ILogger logger, string action, string node, string actions);
}
