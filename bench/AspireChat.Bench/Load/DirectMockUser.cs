using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using AspireChat.Bench.Stats;

namespace AspireChat.Bench.Load;

/// <summary>
/// The baseline: a client of the mock itself, reading its SSE stream with the same timestamps as
/// <see cref="WebSocketUser"/>, so "added latency" is ChatApi's figure minus this one.
/// </summary>
internal sealed class DirectMockUser(int index, HttpClient http, Uri completionsUri, string model, int? expectedTokens = null) : IVirtualUser
{
    private static readonly byte[] ContentDelta = "\"delta\":{\"content\":"u8.ToArray();
    private static readonly byte[] DoneEvent = "data: [DONE]"u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _turn;

    public LatencyRecorder Recorder { get; } = new();

    public bool IsConnected => true;

    public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<bool> TurnAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, completionsUri) { Content = Body(++_turn) };
        var sent = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                Recorder.Error($"http_{(int)response.StatusCode}");
                return false;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            long firstChunk = 0, previousChunk = 0;
            var tokens = 0;
            var filled = 0;
            while (true)
            {
                var read = await stream.ReadAsync(_buffer.AsMemory(filled), cancellationToken);
                var received = Stopwatch.GetTimestamp();
                if (read == 0)
                {
                    Recorder.Error("stream_ended_early");
                    return false;
                }

                filled += read;
                // Every complete event in the buffer arrived at this timestamp.
                var consumed = 0;
                int end;
                while ((end = _buffer.AsSpan(consumed, filled - consumed).IndexOf(EventEnd)) >= 0)
                {
                    var sseEvent = _buffer.AsSpan(consumed, end);
                    consumed += end + EventEnd.Length;
                    if (sseEvent.SequenceEqual(DoneEvent))
                    {
                        Recorder.Reply(sent, firstChunk, received);
                        return CheckTokens(tokens);
                    }

                    if (sseEvent.IndexOf(ContentDelta) >= 0 && !IsEmptyContent(sseEvent))
                    {
                        tokens++;
                        firstChunk = firstChunk == 0 ? received : firstChunk;
                        Recorder.Chunk(previousChunk, received);
                        previousChunk = received;
                    }
                }

                _buffer.AsSpan(consumed, filled - consumed).CopyTo(_buffer);
                filled -= consumed;
                if (filled == _buffer.Length)
                {
                    Recorder.Error("event_too_large");
                    return false;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Recorder.Error("timeout");
            return false;
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            Recorder.Error("http_error");
            return false;
        }
    }

    public Task HoldAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("The mock has no idle connections to hold: idle figures have no direct baseline.");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private bool CheckTokens(int tokens)
    {
        if (expectedTokens is { } expected && tokens != expected)
        {
            Recorder.Error("wrong_token_count");
            return false;
        }

        return true;
    }

    // The role chunk carries "content":"" with the role: it is not a token.
    private static bool IsEmptyContent(ReadOnlySpan<byte> sseEvent) => sseEvent.IndexOf("\"role\":"u8) >= 0;

    private ByteArrayContent Body(int turn)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteBoolean("stream", true);
            json.WriteStartObject("stream_options");
            json.WriteBoolean("include_usage", true);
            json.WriteEndObject();
            json.WriteStartArray("messages");
            json.WriteStartObject();
            json.WriteString("role", "user");
            json.WriteString("content", $"Hello from user {index}, message {turn}.");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
