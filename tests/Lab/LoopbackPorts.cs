using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Wrangler.Lab;

/// <summary>
/// Loopback ports for what the tests listen on, which often stops and must bind the same port again: a master a
/// campaign restarts, a Wrangler stopped and started on its database. Taken below the kernel's ephemeral range, where
/// a port from binding port 0 lies: while such a listener was down, any process's outgoing connection could take its
/// port as its own local one, and the restart failed with "Address already in use" (ScheduleLabTests in a CI run on
/// 2026-12-04). A process hands each port out once; one in use by anyone is passed over.
/// </summary>
public static class LoopbackPorts
{
    private const int Lowest = 10000;

    private static readonly Lock Gate = new();
    private static readonly int Highest = BelowEphemeral();
    private static int next = Lowest + Random.Shared.Next(Highest - Lowest);

    public static int Next() => Next(1)[0];

    public static int[] Next(int count)
    {
        var ports = new int[count];
        lock (Gate)
        {
            for (var i = 0; i < count; i++)
            {
                ports[i] = NextFree();
            }
        }

        return ports;
    }

    private static int NextFree()
    {
        for (var tried = 0; tried <= Highest - Lowest; tried++)
        {
            var port = next;
            next = next >= Highest ? Lowest : next + 1;
            if (IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free loopback port between {Lowest} and {Highest}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int BelowEphemeral()
    {
        // "32768	60999" on Debian; a range that starts low leaves the default's lower part.
        try
        {
            var low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
            return low > Lowest + 1000 ? low - 1 : 32767;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return 32767;
        }
    }
}
