using System.Diagnostics;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// A client span per command, as OpenTelemetry's database semantic conventions describe: named
/// by the command, with the server and database, and never a key or a value (they hold user text).
/// </summary>
internal static class RedisTelemetry
{
    public const string SourceName = "AspireChat.Redis";

    public static readonly ActivitySource Source = new(SourceName);

    public static Activity? StartCommand(string operation, RedisConnectionOptions connection, int? batchSize = null)
    {
        var activity = Source.StartActivity(operation, ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("db.system.name", "redis");
        activity.SetTag("db.operation.name", operation);
        activity.SetTag("db.namespace", connection.DefaultDatabase.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (batchSize is { } size)
        {
            activity.SetTag("db.operation.batch.size", size);
        }

        // The endpoint tried first; replaced by the one actually used once connected.
        SetServer(activity, connection.Endpoints[0]);
        return activity;
    }

    public static void SetServer(Activity? activity, RedisEndpoint endpoint)
    {
        activity?.SetTag("server.address", endpoint.Host);
        activity?.SetTag("server.port", endpoint.Port);
    }

    public static void SetError(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        if (exception is RedisServerException server)
        {
            // Only the prefix (WRONGTYPE, NOAUTH, ...): some server errors quote the command's arguments.
            activity.SetTag("error.type", server.Prefix);
            activity.SetTag("db.response.status_code", server.Prefix);
            activity.SetStatus(ActivityStatusCode.Error, server.Prefix);
        }
        else
        {
            // This client's own messages name causes and endpoints, never keys or values.
            activity.SetTag("error.type", exception.GetType().Name);
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        }
    }
}
