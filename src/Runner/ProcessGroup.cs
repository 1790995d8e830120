using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Wrangler.Runner;

/// <summary>
/// A child in its own session and process group (started through <c>setsid</c>), so the runner can signal it and
/// everything it forked at once: a task that outlives its timeout is killed with its children, and nothing a task or
/// the worker leaves behind survives it. Its output (stdout and stderr) is kept, the last <see cref="OutputLimit"/> chars.
/// </summary>
public sealed partial class ProcessGroup : IAsyncDisposable
{
    public const int OutputLimit = 16 * 1024;
    public const int SigTerm = 15;
    public const int SigKill = 9;

    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly Task readers;

    private ProcessGroup(Process process)
    {
        this.process = process;
        readers = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
    }

    /// <summary>The group id: setsid makes the child a session leader, so its pid.</summary>
    public int Id => process.Id;

    public static ProcessGroup Start(IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("/usr/bin/setsid")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--");
        foreach (var a in argv)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {argv[0]}");
        p.StandardInput.Close();
        return new ProcessGroup(p);
    }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Waits for the group leader only: children that hold its output open do not keep this waiting.</summary>
    public Task WaitForExitAsync(CancellationToken ct) => process.WaitForExitAsync(ct);

    /// <summary>Signals every process of the group (a no-op when none is left).</summary>
    public void Signal(int signal) => _ = Kill(-Id, signal);

    /// <summary>Whether any process of the group is still alive (kill with signal 0 succeeds).</summary>
    public bool AnyAlive() => Kill(-Id, 0) == 0;

    /// <summary>SIGKILL to the group, then waits (briefly) for the leader and the output.</summary>
    public async Task KillAsync()
    {
        Signal(SigKill);
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>After the leader has exited: kills what it left in its group, then lets the output readers finish.</summary>
    public async Task ReapAsync()
    {
        Signal(SigKill);
        try
        {
            await readers.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await KillAsync().ConfigureAwait(false);
        }

        await ReapAsync().ConfigureAwait(false);
        process.Dispose();
    }

    private async Task Pump(StreamReader reader)
    {
        var buffer = new char[4096];
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (output)
                {
                    output.Append(buffer, 0, n);
                    if (output.Length > OutputLimit)
                    {
                        output.Remove(0, output.Length - OutputLimit);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
