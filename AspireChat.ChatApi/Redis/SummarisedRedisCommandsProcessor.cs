using System.Diagnostics;
using OpenTelemetry;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// Leaves out of the exported traces the span of every Redis command sent under a stand-in of
/// <see cref="RedisCommandSpans.Summarised"/>: its owner has summed the work up on its own span. The OTLP exporter's
/// processor runs after every other one (<c>UseOtlpExporter()</c> adds it with the pipeline's last weight) and exports
/// only recorded spans, so clearing the flag here is enough, as ServiceDefaults' AspireChatTelemetry does for static
/// files.
/// </summary>
internal sealed class SummarisedRedisCommandsProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        if (RedisCommandSpans.IsSummarised(data))
        {
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
