using System.Runtime.InteropServices;
using System.Text;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Integrations;

/// <summary>Where Nagios external commands go: the local command file, or the same file on another host over ssh.</summary>
public interface INagiosCommandSink
{
    /// <summary>Appends the lines; throws <see cref="IntegrationException"/> if Nagios does not take them in time.</summary>
    Task WriteAsync(IReadOnlyList<string> lines, CancellationToken ct);

    string Describe();
}

/// <summary>
/// Writes the local command file without ever blocking a thread. The file is opened O_NONBLOCK: with no reader a
/// FIFO open fails at once (ENXIO) instead of hanging forever, and a full pipe refuses a write (EAGAIN) instead of
/// stalling; both are retried until the timeout. Lines are shorter than PIPE_BUF, so each write is all or nothing.
/// The file is never created: a regular file where Nagios' FIFO should be would swallow commands silently.
/// </summary>
public sealed class LocalNagiosCommandFile(string path, TimeSpan timeout, TimeProvider time) : INagiosCommandSink
{
    private const int OWronly = 0x1;
    private const int ONoctty = 0x100;
    private const int OAppend = 0x400;
    private const int ONonblock = 0x800;
    private const int OCloexec = 0x80000;
    private const int ENoent = 2;
    private const int EIntr = 4;
    private const int ENxio = 6;
    private const int EAgain = 11;
    private const int PipeBuf = 4096;

    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(50);

    public string Path { get; } = path;

    public string Describe() => Path;

    public async Task WriteAsync(IReadOnlyList<string> lines, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var payloads = lines.Select(l => Encoding.UTF8.GetBytes(l + "\n")).ToList();
        if (payloads.Any(p => p.Length > PipeBuf))
        {
            throw new ArgumentException($"a Nagios command longer than {PipeBuf} bytes could be interleaved with other writers", nameof(lines));
        }

        var fd = await OpenAsync(started, ct).ConfigureAwait(false);
        try
        {
            foreach (var payload in payloads)
            {
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    var n = write(fd, payload, payload.Length);
                    if (n == payload.Length)
                    {
                        break;
                    }

                    var errno = n < 0 ? Marshal.GetLastPInvokeError() : 0;
                    if (n >= 0 || (errno != EAgain && errno != EIntr))
                    {
                        throw new IntegrationException("nagios", $"cannot write the Nagios command file {Path}: {(n >= 0 ? $"short write ({n} of {payload.Length} bytes)" : Marshal.GetPInvokeErrorMessage(errno))}");
                    }

                    await WaitOrTimeOutAsync(started, "its command file is full", ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    private async Task<int> OpenAsync(long started, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var fd = open(Path, OWronly | OAppend | ONonblock | ONoctty | OCloexec);
            if (fd >= 0)
            {
                return fd;
            }

            var errno = Marshal.GetLastPInvokeError();
            switch (errno)
            {
                case ENxio:
                    // A FIFO with no reader: Nagios is down or restarting; it may come back within the timeout.
                    await WaitOrTimeOutAsync(started, "nothing has the FIFO open for reading", ct).ConfigureAwait(false);
                    break;
                case EIntr:
                    break;
                case ENoent:
                    throw new IntegrationException("nagios", $"the Nagios command file {Path} does not exist; is Nagios running with check_external_commands=1 and command_file={Path}?");
                default:
                    throw new IntegrationException("nagios", $"cannot open the Nagios command file {Path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    private async Task WaitOrTimeOutAsync(long started, string why, CancellationToken ct)
    {
        if (time.GetElapsedTime(started) >= timeout)
        {
            throw new IntegrationException("nagios",
                $"Nagios is not reading its command file {Path} ({why}; gave up after {timeout.TotalSeconds:0.#} s)");
        }

        await Task.Delay(Retry, time, ct).ConfigureAwait(false);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}

/// <summary>
/// Writes the command file on the Nagios host over ssh. ssh gets no stdin here, so the lines travel as arguments
/// (quoted by the runner) to <c>printf</c>; the runner's remote <c>timeout</c> ends a write blocked on a FIFO nobody reads.
/// </summary>
public sealed class SshNagiosCommandFile(ISshRunner ssh, SshTarget target, string path, TimeSpan timeout) : INagiosCommandSink
{
    // $1 is the file, the rest are lines. Refuse a missing file for the same reason as the local writer.
    internal const string Script = "f=$1; shift; if [ ! -p \"$f\" ] && [ ! -f \"$f\" ]; then echo \"$f does not exist\" >&2; exit 3; fi; printf '%s\\n' \"$@\" >> \"$f\"";

    public string Describe() => $"{path} on {target}";

    public async Task WriteAsync(IReadOnlyList<string> lines, CancellationToken ct)
    {
        RemoteResult result;
        try
        {
            result = await ssh.RunAsync(target, ["sh", "-c", Script, "sh", path, .. lines], timeout, ct: ct).ConfigureAwait(false);
        }
        catch (SshException e) when (e.Kind == SshFailureKind.Timeout)
        {
            throw new IntegrationException("nagios",
                $"Nagios is not reading its command file {path} on {target} (the write did not finish within {timeout.TotalSeconds:0.#} s)", inner: e);
        }
        catch (SshException e)
        {
            throw new IntegrationException("nagios", $"cannot write the Nagios command file {path} on {target}: {e.Message}", inner: e);
        }

        if (!result.Succeeded)
        {
            throw new IntegrationException("nagios",
                $"cannot write the Nagios command file {path} on {target}: exit {result.ExitCode}: {result.Stderr.Trim()}");
        }
    }
}
