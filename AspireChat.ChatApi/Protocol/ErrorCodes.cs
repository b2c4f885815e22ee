namespace AspireChat.ChatApi.Protocol;

/// <summary>The <c>code</c> of an error frame; docs/protocol.md says when each is sent.</summary>
public static class ErrorCodes
{
    public const string InvalidJson = "invalid_json";
    public const string InvalidFrame = "invalid_frame";
    public const string UnknownType = "unknown_type";
    public const string EmptyContent = "empty_content";
    public const string BinaryNotSupported = "binary_not_supported";
    public const string FrameTooLarge = "frame_too_large";
    public const string NotFound = "not_found";
    public const string InvalidSeq = "invalid_seq";
    public const string InvalidIndex = "invalid_index";
    public const string InvalidTarget = "invalid_target";
    public const string ConversationBusy = "conversation_busy";
    public const string RateLimited = "rate_limited";
    public const string TooManyConnections = "too_many_connections";
    public const string ModelError = "model_error";
    public const string StoreUnavailable = "store_unavailable";
    public const string HistoryNotSaved = "history_not_saved";
    public const string ShuttingDown = "shutting_down";
}
