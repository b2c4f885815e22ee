using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AspireChat.Tests.Fixtures;

/// <summary>What kind of Redis server a test needs.</summary>
public sealed record RedisServerOptions
{
    /// <summary>requirepass: the default user's password.</summary>
    public string? Password { get; init; }

    /// <summary>An ACL user with every permission, and its password.</summary>
    public (string User, string Password)? AclUser { get; init; }

    /// <summary>TLS only (no plain port), with a self-signed certificate made for the test.</summary>
    public bool Tls { get; init; }

    /// <summary>
    /// Append-only file, fsync on every write: data survives a kill, as with a production Redis.
    /// Off by default (nothing written to disk).
    /// </summary>
    public bool Persistent { get; init; }

    /// <summary>
    /// A node of a Redis Cluster (<c>cluster-enabled</c>) that its peers count as failed after this long without an
    /// answer (<c>cluster-node-timeout</c>). Null: a standalone server. <see cref="RedisCluster"/> starts these.
    /// </summary>
    public TimeSpan? ClusterNodeTimeout { get; init; }

    /// <summary>An RDB file the server starts with (copied into its directory as <c>dump.rdb</c>, which it loads).</summary>
    public string? Snapshot { get; init; }
}

/// <summary>
/// A real <c>redis-server</c> (Debian's package) on a free loopback port, with nothing saved to
/// disk. It can be stopped, killed and started again on the same port, for reconnect tests.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/redis-server";

    private readonly RedisServerOptions _options;
    private readonly DirectoryInfo _directory;
    private readonly X509Certificate2? _certificate;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private RedisServer(RedisServerOptions options, int port)
    {
        _options = options;
        Port = port;
        _directory = Directory.CreateTempSubdirectory("aspirechat-redis-");
        if (options.Tls)
        {
            _certificate = CreateCertificate(_directory.FullName);
        }
    }

    public int Port { get; }

    public string? Password => _options.Password;

    /// <summary>The StackExchange.Redis-style connection string Aspire would inject for this server.</summary>
    public string ConnectionString =>
        $"127.0.0.1:{Port}" + (_options.Password is { } password ? $",password={password}" : "") + (_options.Tls ? ",ssl=true" : "");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the server printed: for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Trusts exactly this server's self-signed certificate (TLS servers only).</summary>
    public RemoteCertificateValidationCallback CertificateValidation => (_, certificate, _, _) =>
    {
        if (certificate is null || _certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    };

    public static Task<RedisServer> StartAsync(RedisServerOptions? options = null) =>
        StartAsync(options ?? new RedisServerOptions(), ServiceProcess.FreeTcpPort());

    /// <summary>Starts a server on <paramref name="port"/>, which the caller found free.</summary>
    public static async Task<RedisServer> StartAsync(RedisServerOptions options, int port)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException(
                $"{Executable} is missing. The Redis tests run against a real server: install Debian's redis-server package (apt-get install redis-server; ./test.sh does).");
        }

        var server = new RedisServer(options, port);
        try
        {
            if (options.Snapshot is { } snapshot)
            {
                File.Copy(snapshot, Path.Combine(server._directory.FullName, "dump.rdb"));
            }

            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again) on the same port.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var startInfo = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory.FullName,
        };
        foreach (var argument in Arguments())
        {
            startInfo.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => OnOutput(e.Data, ready);
        process.ErrorDataReceived += (_, e) => OnOutput(e.Data, ready);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var exited = process.WaitForExitAsync();
        var timeout = Task.Delay(TimeSpan.FromSeconds(15));
        var first = await Task.WhenAny(ready.Task, exited, timeout);
        if (first != ready.Task)
        {
            process.Kill();
            throw new InvalidOperationException($"redis-server did not become ready on port {Port}.{Environment.NewLine}{Output}");
        }
    }

    /// <summary>A clean shutdown (SIGTERM).</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var terminate = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await terminate.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>SIGKILL: the server vanishes mid-whatever, as in a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        _certificate?.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory.
        }
    }

    private IEnumerable<string> Arguments()
    {
        yield return "--bind";
        yield return "127.0.0.1";
        if (_options.Tls)
        {
            yield return "--port";
            yield return "0";
            yield return "--tls-port";
            yield return Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            yield return "--tls-cert-file";
            yield return Path.Combine(_directory.FullName, "server.crt");
            yield return "--tls-key-file";
            yield return Path.Combine(_directory.FullName, "server.key");
            yield return "--tls-auth-clients";
            yield return "no";
        }
        else
        {
            yield return "--port";
            yield return Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        yield return "--save";
        yield return "";
        yield return "--appendonly";
        yield return _options.Persistent ? "yes" : "no";
        yield return "--appendfsync";
        yield return "always";
        // DEBUG SLEEP holds a reply back in the fault tests.
        yield return "--enable-debug-command";
        yield return "local";
        yield return "--dir";
        yield return _directory.FullName;
        if (_options.Password is { } password)
        {
            yield return "--requirepass";
            yield return password;
        }

        if (_options.ClusterNodeTimeout is { } nodeTimeout)
        {
            yield return "--cluster-enabled";
            yield return "yes";
            // The node's view of the cluster, in its own directory: what lets a restarted node rejoin as it was.
            yield return "--cluster-config-file";
            yield return "nodes.conf";
            yield return "--cluster-node-timeout";
            yield return ((long)nodeTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            // A replica takes over however long it was cut off from its master: a test's failover always happens.
            yield return "--cluster-replica-validity-factor";
            yield return "0";
            // A replica's first sync starts at once, not after Redis's 5 s wait for other replicas to join it.
            yield return "--repl-diskless-sync-delay";
            yield return "0";
            if (_options.Password is { } masterPassword)
            {
                // A replica authenticates to its master with the cluster's one password.
                yield return "--masterauth";
                yield return masterPassword;
            }
        }

        if (_options.AclUser is var (user, userPassword))
        {
            yield return "--user";
            yield return user;
            yield return "on";
            yield return ">" + userPassword;
            yield return "~*";
            yield return "&*";
            yield return "+@all";
        }
    }

    private void OnOutput(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

    private static X509Certificate2 CreateCertificate(string directory)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(directory, "server.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.key"), key.ExportPkcs8PrivateKeyPem());
        return X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
    }
}
