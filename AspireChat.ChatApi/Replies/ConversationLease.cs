namespace AspireChat.ChatApi.Replies;

/// <summary>
/// The conversation lease: one reply streams in a conversation at a time, across every instance. The coordinator
/// takes it once per turn, before the turn reads the conversation, and releases it once, before the reply's end (or
/// refusal) reaches anyone: a client that answers at once finds the conversation free. If the holder dies without
/// releasing it, the lease lapses by itself (<see cref="ReplyOptions.Lease"/>).
/// </summary>
public interface IConversationLeases
{
    /// <summary>
    /// Takes the conversation for the reply <see cref="LeaseRequest.MessageId"/>. Refused when another reply holds it
    /// (<see cref="LeaseOutcome.Busy"/>), and when the conversation is not the owner's (<see cref="LeaseOutcome.NotFound"/>,
    /// busy or not: another owner's conversation looks like a missing one). A reply whose producer died holding it
    /// is ended (saved as <c>interrupted</c>) before the lease is handed over, so the turn reads it in history.
    /// </summary>
    Task<LeaseClaim> TakeAsync(LeaseRequest request, CancellationToken cancellationToken);
}

/// <summary>The reply that wants the conversation. <paramref name="IsNewConversation"/>: its id was just made, nobody else can hold it.</summary>
public sealed record LeaseRequest(string OwnerId, string ConversationId, string MessageId, bool IsNewConversation);

public enum LeaseOutcome
{
    Taken,
    Busy,
    NotFound,
}

/// <summary>What taking the lease gave: the lease, or why not.</summary>
public sealed record LeaseClaim(LeaseOutcome Outcome, ConversationLease? Lease = null);

/// <summary>A conversation held for one reply. Released once; releasing it again does nothing.</summary>
public abstract class ConversationLease
{
    /// <summary>Lets the conversation take its next message. Never throws: a lease that cannot be released lapses.</summary>
    public abstract Task ReleaseAsync();
}
