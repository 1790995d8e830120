namespace Wrangler.Lab;

/// <summary>
/// Lets one lab start at a time on this machine, across test processes: starting a fleet (a dozen Python daemons,
/// sshd, Nagios) is the CPU-heavy part of a lab's life, and two at once on 2 cores blew the start-up budget. Once up,
/// labs mostly wait on Buildbot, so they may run side by side. An exclusive lock on a file (flock on Linux), which
/// the kernel drops if its holder dies.
/// </summary>
public static class LabStartGate
{
    private static readonly string LockFile = Path.Combine(Path.GetTempPath(), "wrangler-lab-start.lock");

    public static async Task<IDisposable> EnterAsync(TimeSpan limit, CancellationToken ct)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < limit)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new TimeoutException($"another lab has been starting for over {limit.TotalMinutes:0} min (lock {LockFile})", ex);
            }
        }
    }
}
