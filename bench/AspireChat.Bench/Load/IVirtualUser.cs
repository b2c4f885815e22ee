using AspireChat.Bench.Stats;

namespace AspireChat.Bench.Load;

/// <summary>One simulated client: connects, then sends messages one after another and times every chunk of each reply.</summary>
internal interface IVirtualUser : IAsyncDisposable
{
    LatencyRecorder Recorder { get; }

    /// <summary>Whether the user's connection is open (always true for HTTP users between requests).</summary>
    bool IsConnected { get; }

    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Sends one message and reads its whole reply; false (and an error recorded) when the turn failed.</summary>
    Task<bool> TurnAsync(CancellationToken cancellationToken);

    /// <summary>Keeps an idle connection open (answering the server's pings) until cancelled.</summary>
    Task HoldAsync(CancellationToken cancellationToken);
}
