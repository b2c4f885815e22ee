namespace AspireChat.ChatApi.Redis;

/// <summary>
/// The replies owed for one write of one or more commands, completed together once the last has
/// arrived: a MULTI … EXEC of many commands costs one completion, not one per command.
/// </summary>
internal sealed class PendingReplies(int count)
{
    private readonly RespValue[] _replies = new RespValue[count];
    private int _received;

    public TaskCompletionSource<RespValue[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Takes the next reply; true when it was the last one owed.</summary>
    public bool Add(RespValue reply)
    {
        _replies[_received++] = reply;
        return _received == _replies.Length;
    }

    /// <summary>Hands the replies over, in the order the commands were written.</summary>
    public void Complete() => Completion.TrySetResult(_replies);
}
