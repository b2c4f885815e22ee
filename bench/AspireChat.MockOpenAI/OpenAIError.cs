using System.Globalization;
using System.Text.Json;

namespace AspireChat.MockOpenAI;

/// <summary>Error answers shaped as OpenAI's: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class OpenAIError
{
    public static async Task WriteAsync(HttpContext context, int status, string message, CancellationToken cancellationToken, TimeSpan? retryAfter = null)
    {
        var (type, code) = status switch
        {
            401 => ("invalid_request_error", "invalid_api_key"),
            404 => ("invalid_request_error", "model_not_found"),
            429 => ("requests", "rate_limit_exceeded"),
            >= 500 => ("server_error", (string?)null),
            _ => ("invalid_request_error", null),
        };

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        if (retryAfter is { } wait)
        {
            // Both headers OpenAI sends: the SDK's retry policy honours either.
            response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            response.Headers["retry-after-ms"] = ((long)wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        }

        await using var json = new Utf8JsonWriter(response.BodyWriter);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", message);
        json.WriteString("type", type);
        json.WriteNull("param");
        if (code is null)
        {
            json.WriteNull("code");
        }
        else
        {
            json.WriteString("code", code);
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }
}
