namespace AspireChat.ChatApi.Flow;

/// <summary>
/// Anything a flow can run: a node or a flow. Running it returns the action that picks the
/// successor, as in PocketFlow's <c>BaseNode</c>.
/// </summary>
/// <typeparam name="TShared">The shared store the nodes of one flow read and write.</typeparam>
public abstract class FlowNode<TShared>
{
    /// <summary>The action returned when a node names none.</summary>
    public const string DefaultAction = "default";

    private readonly Dictionary<string, FlowNode<TShared>> _successors = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, FlowNode<TShared>> Successors => _successors;

    /// <summary>Runs <paramref name="node"/> after this one when this one returns <paramref name="action"/>.</summary>
    public FlowNode<TShared> On(string action, FlowNode<TShared> node)
    {
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentNullException.ThrowIfNull(node);
        _successors[action] = node;
        return node;
    }

    /// <summary>Runs <paramref name="node"/> after this one on the default action.</summary>
    public FlowNode<TShared> Then(FlowNode<TShared> node) => On(DefaultAction, node);

    /// <summary>Runs this node (or flow) once; returns its action, or null for the default.</summary>
    public abstract Task<string?> RunAsync(TShared shared, CancellationToken cancellationToken);
}
