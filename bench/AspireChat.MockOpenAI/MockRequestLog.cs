using System.Collections.Concurrent;

namespace AspireChat.MockOpenAI;

/// <summary>What the server has been asked: the parsed requests (when recording) and a count per model name.</summary>
internal sealed class MockRequestLog(bool recordRequests)
{
    private readonly ConcurrentDictionary<string, int> _countByModel = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly List<MockChatRequest> _requests = [];

    /// <summary>Records <paramref name="request"/> and returns how many requests named its model so far, this one included.</summary>
    public int Add(MockChatRequest request)
    {
        if (recordRequests)
        {
            lock (_gate)
            {
                _requests.Add(request);
            }
        }

        return _countByModel.AddOrUpdate(request.Model, 1, static (_, count) => count + 1);
    }

    public IReadOnlyList<MockChatRequest> Snapshot()
    {
        lock (_gate)
        {
            return [.. _requests];
        }
    }
}
