using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>Misconfiguration gives an error that names the cause, and never shows the password.</summary>
public sealed class RedisClientConnectionErrorTests
{
    private const string Password = "Zx81QwErTy12UiOp34AsDf";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheRightPasswordConnects()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        await using var client = TestRedis.Client(server.ConnectionString);

        Assert.Equal("PONG", await client.PingAsync(Token));
    }

    [Fact]
    public async Task AWrongPasswordIsRefusedWithTheServersReasonAndThePasswordIsNeverShown()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        const string wrong = "WrongWrongWrong1234567";
        var logger = new CapturingLogger<RedisClient>();
        await using var client = TestRedis.Client($"127.0.0.1:{server.Port},password={wrong}", logger);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync(Token));

        Assert.Contains("refused the credentials", error.Message, StringComparison.Ordinal);
        Assert.Contains("WRONGPASS", error.Message, StringComparison.Ordinal);
        AssertNowhere(wrong, error, logger);
        AssertNowhere(Password, error, logger);
    }

    [Fact]
    public async Task NoPasswordForAServerThatRequiresOneSaysSo()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        await using var client = TestRedis.Client($"127.0.0.1:{server.Port}");

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync(Token));

        Assert.Contains("requires a password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAclUserAuthenticatesWithUserAndPassword()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { AclUser = ("alice", Password) });
        await using var client = TestRedis.Client($"127.0.0.1:{server.Port},user=alice,password={Password}");
        await using var wrongUser = TestRedis.Client($"127.0.0.1:{server.Port},user=mallory,password={Password}");

        Assert.Equal("alice", (await client.ExecuteAsync(new RedisCommand("ACL", "WHOAMI"), Token)).AsString());
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => wrongUser.PingAsync(Token));
        Assert.Contains("user 'mallory'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDefaultDatabaseIsSelectedAndAWrongOneIsNamed()
    {
        await using var server = await RedisServer.StartAsync();
        await using var database5 = TestRedis.Client($"{server.ConnectionString},defaultDatabase=5");
        await using var database0 = TestRedis.Client(server.ConnectionString);
        await using var wrong = TestRedis.Client($"{server.ConnectionString},defaultDatabase=99");
        var key = TestRedis.Key("db");

        await database5.SetAsync(key, "five", null, false, Token);

        Assert.Null(await database0.GetAsync(key, Token));
        Assert.NotNull(await database5.GetAsync(key, Token));
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => wrong.PingAsync(Token));
        Assert.Contains("refused database 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TlsConnectsWhenTheServerCertificateIsTrusted()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true, Password = Password });
        await using var client = TestRedis.Client(server.ConnectionString, certificateValidation: server.CertificateValidation);
        var key = TestRedis.Key("tls");

        await client.SetAsync(key, "over TLS", null, false, Token);

        Assert.Equal("over TLS"u8.ToArray(), await client.GetAsync(key, Token));
    }

    [Fact]
    public async Task AnUntrustedServerCertificateIsRefused()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true });
        // The system trust does not know the test's self-signed certificate.
        await using var client = TestRedis.Client(server.ConnectionString);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync(Token));

        Assert.Contains("TLS handshake failed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlainClientOfATlsOnlyServerIsToldToUseTls()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true, Password = Password });
        var logger = new CapturingLogger<RedisClient>();
        await using var client = TestRedis.Client($"127.0.0.1:{server.Port},password={Password}", logger);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync(Token));

        Assert.Contains("add ssl=true", error.Message, StringComparison.Ordinal);
        AssertNowhere(Password, error, logger);
    }

    [Fact]
    public async Task ATlsClientOfAPlainServerIsToldTheServerMayNotOfferTls()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        var logger = new CapturingLogger<RedisClient>();
        await using var client = TestRedis.Client($"{server.ConnectionString},ssl=true,connectTimeout=1000", logger);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync(Token));

        Assert.Contains("may not offer TLS", error.Message, StringComparison.Ordinal);
        AssertNowhere(Password, error, logger);
    }

    private static void AssertNowhere(string secret, Exception error, CapturingLogger<RedisClient> logger)
    {
        Assert.DoesNotContain(secret, error.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(logger.Lines);
        Assert.DoesNotContain(secret, logger.Text, StringComparison.Ordinal);
    }
}
