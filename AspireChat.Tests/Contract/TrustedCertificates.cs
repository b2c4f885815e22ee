using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace AspireChat.Tests.Contract;

/// <summary>
/// What Aspire does so a project trusts a TLS Redis: it writes the certificate into a directory and
/// points <c>SSL_CERT_DIR</c> at it (OpenSSL's, and so .NET's on Linux). Here the certificate is the
/// one the test's redis-server presents, fetched with a handshake.
/// </summary>
public sealed class TrustedCertificates : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("aspirechat-certs-");

    /// <summary>The value for <c>SSL_CERT_DIR</c>.</summary>
    public string CertificateDirectory => _directory.FullName;

    public static async Task<TrustedCertificates> FromServerAsync(int port, CancellationToken cancellationToken)
    {
        var trusted = new TrustedCertificates();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port, cancellationToken);
        X509Certificate2? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            // Only read here: whether ChatApi trusts it is what the test is about.
            presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            return presented is not null;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellationToken);
        using var certificate = presented ?? throw new InvalidOperationException($"The server on port {port} presented no certificate.");
        await File.WriteAllTextAsync(Path.Combine(trusted.CertificateDirectory, "redis.pem"), certificate.ExportCertificatePem(), cancellationToken);
        return trusted;
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
