using System.Net;
using System.Net.Sockets;

namespace AspireChat.Bench.Processes;

internal static class FreePort
{
    /// <summary>A cluster node's bus listens on its port + this.</summary>
    public const int ClusterBusOffset = 10_000;

    /// <summary>A TCP port on loopback that nothing listens on right now.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// <paramref name="count"/> distinct ports for Redis Cluster nodes, each free with its bus port (+10000) free too.
    /// They are taken from 20000–22767, so the bus ports stay below Linux's ephemeral range (32768 and up), where a
    /// client connection could take one first.
    /// </summary>
    public static IReadOnlyList<int> ClusterNodes(int count)
    {
        var ports = new HashSet<int>();
        for (var attempt = 0; attempt < 1_000 && ports.Count < count; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_768 - ClusterBusOffset);
            if (IsFree(port) && IsFree(port + ClusterBusOffset))
            {
                ports.Add(port);
            }
        }

        return ports.Count == count ? [.. ports] : throw new InvalidOperationException($"Found no {count} free port pairs for cluster nodes.");
    }

    /// <summary>Whether nothing listens on <paramref name="port"/> on loopback right now.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
