using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace AspireChat.MockOpenAI;

/// <summary>
/// Writes one completion's <c>chat.completion.chunk</c> events exactly as OpenAI frames them. Everything but the
/// token is encoded once per completion, so a token costs three span copies: the mock is the benchmark's baseline
/// and must not be its bottleneck.
/// </summary>
internal sealed class SseChunkWriter
{
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] RoleChoice = """{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]"""u8.ToArray();
    private static readonly byte[] TokenChoiceStart = """{"index":0,"delta":{"content":"""u8.ToArray();
    private static readonly byte[] TokenChoiceEnd = """},"logprobs":null,"finish_reason":null}]"""u8.ToArray();

    private readonly PipeWriter _writer;
    private readonly byte[] _head;
    private readonly byte[] _tokenPrefix;
    private readonly byte[] _tail;

    public SseChunkWriter(PipeWriter writer, string completionId, long created, string model, bool includeUsage)
    {
        _writer = writer;
        _head = EncodeHead(completionId, created, model);
        _tokenPrefix = [.. _head, .. TokenChoiceStart];
        // With include_usage OpenAI sends "usage":null on every chunk but the last.
        _tail = includeUsage ? ",\"usage\":null}\n\n"u8.ToArray() : "}\n\n"u8.ToArray();
    }

    public void WriteRole() => Write(_head, RoleChoice, _tail);

    public void WriteToken(int index)
    {
        var token = MockTokens.JsonString(index);
        var span = _writer.GetSpan(_tokenPrefix.Length + token.Length + TokenChoiceEnd.Length + _tail.Length);
        _tokenPrefix.CopyTo(span);
        var written = _tokenPrefix.Length;
        token.CopyTo(span[written..]);
        written += token.Length;
        TokenChoiceEnd.CopyTo(span[written..]);
        written += TokenChoiceEnd.Length;
        _tail.CopyTo(span[written..]);
        _writer.Advance(written + _tail.Length);
    }

    public void WriteFinish(string finishReason) =>
        Write(_head, Encoding.UTF8.GetBytes($$"""{"index":0,"delta":{},"logprobs":null,"finish_reason":"{{finishReason}}"}]"""), _tail);

    public void WriteUsage(int promptTokens, int completionTokens) =>
        Write(_head, Encoding.UTF8.GetBytes($$$"""],"usage":{"prompt_tokens":{{{promptTokens}}},"completion_tokens":{{{completionTokens}}},"total_tokens":{{{promptTokens + completionTokens}}}}}""" + "\n\n"), []);

    public void WriteDone() => _writer.Write(Done);

    /// <summary>A data line cut off in the middle of its JSON, as a broken proxy would pass on.</summary>
    public void WriteMalformed() => Write(_tokenPrefix, "\"tok\n\n"u8, []);

    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken) => _writer.FlushAsync(cancellationToken);

    private void Write(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, ReadOnlySpan<byte> third)
    {
        var span = _writer.GetSpan(first.Length + second.Length + third.Length);
        first.CopyTo(span);
        second.CopyTo(span[first.Length..]);
        third.CopyTo(span[(first.Length + second.Length)..]);
        _writer.Advance(first.Length + second.Length + third.Length);
    }

    /// <summary><c>data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"system_fingerprint":…,"choices":[</c></summary>
    private static byte[] EncodeHead(string completionId, long created, string model)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write("data: "u8);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", completionId);
            json.WriteString("object", "chat.completion.chunk");
            json.WriteNumber("created", created);
            json.WriteString("model", model);
            json.WriteString("system_fingerprint", "fp_mock");
            json.WriteStartArray("choices");
            json.WriteEndArray();
            json.WriteEndObject();
        }

        // Drop the closing "]}" so choices (or the usage chunk's empty list) can follow.
        return buffer.WrittenSpan[..^2].ToArray();
    }
}
