using System.Collections.Concurrent;
using System.Diagnostics;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AspireChat.Tests.Integration.Redis;

public sealed class RedisTracingAndHealthTests(SharedRedisServer redis) : IClassFixture<SharedRedisServer>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EachCommandIsAClientSpanWithDatabaseAttributesAndNoKeysOrValues()
    {
        using var listener = new SpanRecorder();
        await using var client = TestRedis.Client($"{redis.Server.ConnectionString},defaultDatabase=2");
        const string secretKey = "user-typed-key-Kf83";
        const string secretValue = "user-typed-value-Pq27";
        using var parent = new ActivitySource("AspireChat.Tests.Parent").StartActivity("token stream");

        await client.SetAsync(secretKey, secretValue, null, false, Token);
        await client.TransactionAsync([new RedisCommand("GET", secretKey), new RedisCommand("STRLEN", secretKey)], Token);
        await Assert.ThrowsAsync<RedisServerException>(() => client.LRangeAsync(secretKey, 0, -1, Token));
        // Redis quotes an unknown command's arguments in its error: the span must not.
        var unknown = await Assert.ThrowsAsync<RedisServerException>(() => client.ExecuteAsync(new RedisCommand("NOSUCHCOMMAND", secretKey), Token));
        Assert.Contains(secretKey, unknown.Message, StringComparison.Ordinal);

        var spans = listener.Spans.Where(s => s.TraceId == parent!.TraceId).ToList();
        Assert.Equal(["SET", "MULTI", "LRANGE", "NOSUCHCOMMAND"], spans.Select(s => s.DisplayName));
        Assert.All(spans, span =>
        {
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.Equal(parent!.SpanId, span.ParentSpanId);
            Assert.Equal("redis", span.GetTagItem("db.system.name"));
            Assert.Equal(span.DisplayName, span.GetTagItem("db.operation.name"));
            Assert.Equal("2", span.GetTagItem("db.namespace"));
            Assert.Equal("127.0.0.1", span.GetTagItem("server.address"));
            Assert.Equal(redis.Server.Port, span.GetTagItem("server.port"));
            var everything = string.Join(" ", span.TagObjects.Select(t => $"{t.Key}={t.Value}")) + span.StatusDescription;
            Assert.DoesNotContain(secretKey, everything, StringComparison.Ordinal);
            Assert.DoesNotContain(secretValue, everything, StringComparison.Ordinal);
        });
        Assert.Equal(2, spans[1].GetTagItem("db.operation.batch.size"));
        Assert.Equal(ActivityStatusCode.Error, spans[2].Status);
        Assert.Equal("WRONGTYPE", spans[2].GetTagItem("error.type"));
        Assert.Equal("ERR", spans[3].GetTagItem("error.type"));
    }

    [Fact]
    public async Task TheHealthCheckIsHealthyWhenRedisAnswersAndUnhealthyWithTheCauseWhenNot()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = TestRedis.Client(server.ConnectionString);
        var check = new RedisHealthCheck(client);
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration("redis", check, HealthStatus.Unhealthy, ["ready"]) };

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(context, Token)).Status);
        await server.StopAsync();
        var down = await check.CheckHealthAsync(context, Token);
        await server.StartAsync();

        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.Contains("Redis", down.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, (await TestRedis.EventuallyAsync(async () =>
        {
            var result = await check.CheckHealthAsync(context, Token);
            return result.Status == HealthStatus.Healthy ? result : throw new RedisException("not yet");
        })).Status);
    }

    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener _listener;

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is "AspireChat.Redis" or "AspireChat.Tests.Parent",
                Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity => Spans.Enqueue(activity),
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentQueue<Activity> Spans { get; } = new();

        public void Dispose() => _listener.Dispose();
    }
}
