namespace AspireChat.ChatApi.Replies;

/// <summary>The conversation leases of a single instance, in process memory: nothing lapses, since a holder dies only with the process.</summary>
public sealed class InMemoryConversationLeases : IConversationLeases
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LeaseRequest> _held = new(StringComparer.Ordinal);

    public Task<LeaseClaim> TakeAsync(LeaseRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_lock)
        {
            if (_held.TryGetValue(request.ConversationId, out var holder))
            {
                // Whose conversation it is, the store says; the holder's owner says it for a busy one.
                return Task.FromResult(new LeaseClaim(holder.OwnerId == request.OwnerId ? LeaseOutcome.Busy : LeaseOutcome.NotFound));
            }

            _held.Add(request.ConversationId, request);
        }

        return Task.FromResult(new LeaseClaim(LeaseOutcome.Taken, new Lease(this, request)));
    }

    /// <summary>The reply streaming in the conversation now, or null.</summary>
    public string? Holder(string conversationId)
    {
        lock (_lock)
        {
            return _held.TryGetValue(conversationId, out var holder) ? holder.MessageId : null;
        }
    }

    private void Release(LeaseRequest request)
    {
        lock (_lock)
        {
            if (_held.TryGetValue(request.ConversationId, out var holder) && holder == request)
            {
                _held.Remove(request.ConversationId);
            }
        }
    }

    private sealed class Lease(InMemoryConversationLeases leases, LeaseRequest request) : ConversationLease
    {
        public override Task ReleaseAsync()
        {
            leases.Release(request);
            return Task.CompletedTask;
        }
    }
}
