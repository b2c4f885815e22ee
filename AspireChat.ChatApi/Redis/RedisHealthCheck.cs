using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AspireChat.ChatApi.Redis;

/// <summary>Readiness: Redis answers PING. The description is the client's error, which never holds the password.</summary>
public sealed class RedisHealthCheck(IRedisClient redis) : IHealthCheck
{
    public const string Name = "redis";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (RedisException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, ex.Message);
        }
    }
}
