using System.Text;

namespace Wrangler.Core.Remote;

/// <summary>What both transports do to an argv before it leaves: the remote timeout bound, and how to name it in a message.</summary>
internal static class RemoteCommand
{
    /// <summary>
    /// Closing our side (killing ssh, or closing an SSH.NET channel) does not reliably stop the remote command (no pty,
    /// so no SIGHUP), so a finite timeout is also enforced on the host with coreutils' timeout, a little later than ours.
    /// </summary>
    public static IReadOnlyList<string> WithRemoteTimeout(IReadOnlyList<string> argv, TimeSpan timeout, bool enabled)
    {
        if (!enabled || timeout == Timeout.InfiniteTimeSpan || timeout <= TimeSpan.Zero)
        {
            return argv;
        }

        var seconds = (int)Math.Ceiling(timeout.TotalSeconds) + 2;
        return ["timeout", "-k", "5", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), .. argv];
    }

    public static string Describe(IReadOnlyList<string> argv) => argv[0] == "sh" && argv.Count > 2 ? "the remote script" : $"'{argv[0]}'";
}

/// <summary>Output kept in a result; the callback still sees everything. Bounded against a chatty command.</summary>
internal sealed class OutputCapture
{
    private const int MaxCapturedChars = 1 << 20;
    private readonly StringBuilder sb = new();
    private bool truncated;

    public void Append(string line)
    {
        lock (sb)
        {
            if (sb.Length + line.Length + 1 > MaxCapturedChars)
            {
                truncated = true;
                return;
            }

            sb.Append(line).Append('\n');
        }
    }

    public override string ToString()
    {
        lock (sb)
        {
            return truncated ? sb + "[output truncated]\n" : sb.ToString();
        }
    }
}

/// <summary>Serialises callbacks from the stdout and stderr readers, and stops the command if the callback throws.</summary>
internal sealed class LineSink(Action<OutputLine>? onLine, Action stop)
{
    private readonly Lock gate = new();
    private Exception? failure;

    public void Deliver(OutputLine line)
    {
        if (onLine is null)
        {
            return;
        }

        lock (gate)
        {
            if (failure is not null)
            {
                return;
            }

            try
            {
                onLine(line);
            }
            catch (Exception ex)
            {
                failure = ex;
                try
                {
                    stop();
                }
                catch (Exception stopFailure) when (stopFailure is InvalidOperationException or ObjectDisposedException)
                {
                    // Already finished.
                }
            }
        }
    }

    public void ThrowIfCallbackFailed()
    {
        if (failure is not null)
        {
            throw new InvalidOperationException("The output callback failed; the command was stopped.", failure);
        }
    }
}
