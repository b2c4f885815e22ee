namespace AspireChat.ChatApi.Feedback;

/// <summary>
/// The <c>gen_ai.evaluation.result</c> event as a log record's state: its attributes under the conventions'
/// names, which hold dots, so it is written with <see cref="ILogger.Log"/> rather than a [LoggerMessage]
/// method, whose placeholders cannot name them. No user text: the comment is only counted as present or not.
/// </summary>
internal readonly struct EvaluationResult(string label, double score, string? model, string conversationId, string messageId, bool hasComment)
    : IReadOnlyList<KeyValuePair<string, object?>>
{
    private const string Format = "User feedback {gen_ai.evaluation.score.label} on a reply of {gen_ai.request.model}";

    public int Count => 8;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("gen_ai.evaluation.name", FeedbackTelemetry.EvaluationName),
        1 => new("gen_ai.evaluation.score.label", label),
        2 => new("gen_ai.evaluation.score.value", score),
        3 => new("gen_ai.request.model", model),
        4 => new("gen_ai.conversation.id", conversationId),
        5 => new(FeedbackTelemetry.Attributes.MessageId, messageId),
        6 => new(FeedbackTelemetry.Attributes.HasComment, hasComment),
        7 => new("{OriginalFormat}", Format),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"User feedback {label} on a reply of {model ?? "an unknown model"}";

    /// <summary>Writes the event (event id 1600) where the current span is: in the rated reply's trace.</summary>
    public void Log(ILogger logger) =>
        logger.Log(LogLevel.Information, new EventId(1600, FeedbackTelemetry.EventName), this, null, static (state, _) => state.ToString());
}
