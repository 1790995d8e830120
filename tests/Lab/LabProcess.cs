using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Wrangler.Lab;

/// <summary>Result of a finished local command.</summary>
public sealed record LabCommandResult(string File, IReadOnlyList<string> Args, int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed);

/// <summary>A local command failed; the message carries its argv, exit code and stderr.</summary>
public sealed class LabCommandException(LabCommandResult result)
    : Exception($"`{result.File} {string.Join(' ', result.Args)}` exited {result.ExitCode}: {FirstNonEmpty(result.StdErr, result.StdOut)}")
{
    public LabCommandResult Result { get; } = result;

    private static string FirstNonEmpty(string a, string b) => (string.IsNullOrWhiteSpace(a) ? b : a).Trim();
}

/// <summary>Runs local commands as argv lists (never through a shell) and signals processes by pid.</summary>
public static class LabProcess
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>Runs a command to completion. Never throws on a non-zero exit; see <see cref="RunCheckedAsync"/>.</summary>
    public static async Task<LabCommandResult> RunAsync(
        string file,
        IReadOnlyList<string> args,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null,
        CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // pyenv's variables must not leak into the Debian python the buildbot scripts run on.
        psi.Environment.Remove("PYTHONPATH");
        psi.Environment.Remove("PYTHONHOME");
        psi.Environment["HGPLAIN"] = "1";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        p.StandardInput.Close();
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var outTask = p.StandardOutput.BaseStream.CopyToAsync(stdout, CancellationToken.None);
        var errTask = p.StandardError.BaseStream.CopyToAsync(stderr, CancellationToken.None);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            if (ct.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"`{file} {string.Join(' ', args)}` did not finish within {timeout}");
        }

        // Daemons (twistd, an ssh ControlPersist master) may inherit the pipes; the command itself is done,
        // so give the readers a short grace instead of waiting for an EOF that may never come.
        await Task.WhenAny(Task.WhenAll(outTask, errTask), Task.Delay(500, CancellationToken.None)).ConfigureAwait(false);
        return new LabCommandResult(file, args, p.ExitCode, Decode(stdout), Decode(stderr), sw.Elapsed);
    }

    /// <summary>Runs a command and throws <see cref="LabCommandException"/> (with stderr) unless it exits 0.</summary>
    public static async Task<LabCommandResult> RunCheckedAsync(
        string file,
        IReadOnlyList<string> args,
        string? workingDirectory = null,
        TimeSpan? timeout = null,
        CancellationToken ct = default)
    {
        var r = await RunAsync(file, args, workingDirectory, null, timeout, ct).ConfigureAwait(false);
        return r.ExitCode == 0 ? r : throw new LabCommandException(r);
    }

    public static bool IsAlive(int pid) => pid > 0 && Directory.Exists($"/proc/{pid}") && !IsZombie(pid);

    /// <summary>Start time of a process in clock ticks since boot, to tell a pid from a later reuse of it.</summary>
    public static long? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture); // field 22 overall
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>True if the process runs in, or names, <paramref name="root"/>: the proof that a recorded pid is still ours.</summary>
    public static bool BelongsTo(int pid, string root)
    {
        var prefix = Path.TrimEndingDirectorySeparator(root) + "/";
        try
        {
            var cwd = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
            if (cwd is not null && (cwd + "/").StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }

            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return cmdline.Contains(prefix, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Every live process below <paramref name="roots"/> (children, grandchildren, …), from /proc's parent pids.</summary>
    public static IReadOnlyList<int> DescendantsOf(IEnumerable<int> roots)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                if (!children.TryGetValue(ppid, out var list))
                {
                    children[ppid] = list = [];
                }

                list.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // Exited while we looked.
            }
        }

        var found = new List<int>();
        var queue = new Queue<int>(roots);
        var seen = new HashSet<int>(roots);
        while (queue.TryDequeue(out var p))
        {
            foreach (var c in children.GetValueOrDefault(p) ?? [])
            {
                if (seen.Add(c) && IsAlive(c))
                {
                    found.Add(c);
                    queue.Enqueue(c);
                }
            }
        }

        return found;
    }

    public static void Terminate(int pid) => _ = kill(pid, SigTerm);

    public static void Kill(int pid) => _ = kill(pid, SigKill);

    /// <summary>SIGTERM, then SIGKILL whatever is still alive after <paramref name="grace"/>; all pids at once.</summary>
    public static async Task StopAllAsync(IReadOnlyCollection<int> pids, TimeSpan grace)
    {
        foreach (var pid in pids)
        {
            Terminate(pid);
        }

        var deadline = DateTime.UtcNow + grace;
        while (pids.Any(IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50).ConfigureAwait(false);
        }

        foreach (var pid in pids.Where(IsAlive))
        {
            Kill(pid);
        }

        var killDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (pids.Any(IsAlive) && DateTime.UtcNow < killDeadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] == 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    private static string Decode(MemoryStream s) => Encoding.UTF8.GetString(s.GetBuffer(), 0, (int)s.Length);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
