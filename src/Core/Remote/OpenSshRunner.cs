using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Wrangler.Core.Remote;

/// <summary>
/// The OpenSSH client (<c>Wrangler:Ssh:Client=openssh</c>) as a child process, multiplexed: one ControlMaster socket per (user, host, port,
/// identity, known_hosts), so after the first handshake a command costs a few milliseconds.
/// </summary>
public sealed class OpenSshRunner : ISshRunner, IAsyncDisposable, IDisposable
{
    // After the process is gone its pipes normally close at once; this bounds the wait if a daemonised
    // grandchild kept one open.
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(2);

    private readonly SshOptions options;
    private readonly TimeProvider time;

    // Every target a master may have been opened for, so disposal can `ssh -O exit` each one (ControlPersist
    // masters are daemons, not our children: nothing else would stop them, docs/remote.md).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SshTarget> opened = new(StringComparer.Ordinal);
    private int disposed;

    public OpenSshRunner(IOptions<SshOptions> options, TimeProvider time)
    {
        this.options = options.Value;
        this.time = time;
        ControlDirectory = this.options.ControlPersist > TimeSpan.Zero ? PrepareControlDirectory(this.options.ControlDirectory) : null;
    }

    public string? ControlDirectory { get; }

    public async Task<RemoteResult> RunAsync(SshTarget target, IReadOnlyList<string> argv, TimeSpan timeout,
        Action<OutputLine>? onLine = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfEqual(argv.Count, 0);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        ct.ThrowIfCancellationRequested();
        if (ControlDirectory is not null)
        {
            opened.TryAdd(ControlPathFor(target), target);
        }

        var psi = NewStartInfo(BuildArguments(target, ShellQuote.Join(RemoteArgv(argv, timeout))));
        var started = time.GetTimestamp();
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new SshException(SshFailureKind.Other,
                $"cannot run the ssh client {options.SshPath}: {ex.Message} (Debian package openssh-client)", target.ToString(), inner: ex);
        }

        var stdout = new OutputCapture();
        var stderr = new OutputCapture();
        var sink = new LineSink(onLine, () => process.Kill(entireProcessTree: true));
        var pumps = Task.WhenAll(
            Pump(process.StandardOutput, OutputStream.Stdout, stdout, sink),
            Pump(process.StandardError, OutputStream.Stderr, stderr, sink));

        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync(process).ConfigureAwait(false);

            // A mux client hands its pipe ends to the master, which holds them until the remote side ends,
            // so only a brief wait for lines already on their way.
            await DrainAsync(pumps, TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            throw new SshException(SshFailureKind.Timeout,
                $"{RemoteCommand.Describe(argv)} on {target} did not finish within {timeout.TotalSeconds:0.#} s; the ssh process was killed",
                target.ToString(), stderr.ToString());
        }

        await DrainAsync(pumps, DrainLimit).ConfigureAwait(false);
        sink.ThrowIfCallbackFailed();
        var elapsed = time.GetElapsedTime(started);

        if (process.ExitCode == 255)
        {
            // 255 is also what a remote command could return; ssh's own failures always say why on stderr.
            var (kind, message) = SshErrorClassifier.Classify(stderr.ToString(), target.ToString());
            throw new SshException(kind, message, target.ToString(), stderr.ToString());
        }

        return new RemoteResult(process.ExitCode, stdout.ToString(), stderr.ToString(), elapsed);
    }

    /// <summary>Closes the multiplexing master for a target, e.g. after its host key changed.</summary>
    public async Task CloseConnectionAsync(SshTarget target, CancellationToken ct = default)
    {
        if (ControlDirectory is null)
        {
            return;
        }

        var args = BuildArguments(target, remoteCommand: null);
        args.Insert(0, "-O");
        args.Insert(1, "exit");
        using var process = new Process { StartInfo = NewStartInfo(args) };
        process.Start();
        var pumps = Task.WhenAll(process.StandardOutput.ReadToEndAsync(ct), process.StandardError.ReadToEndAsync(ct));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync(process).ConfigureAwait(false);
        }

        await DrainAsync(pumps, DrainLimit).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops every multiplexing master this runner may have opened (<c>ssh -O exit</c>, which also ends the sessions
    /// riding on it), then kills any master still alive on our control directory, so none outlives Wrangler or a test.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0 || ControlDirectory is null)
        {
            return;
        }

        await Task.WhenAll(opened.Values.Select(t => CloseConnectionAsync(t))).ConfigureAwait(false);
        foreach (var pid in MuxMasterPids())
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Win32Exception)
            {
                // Gone between the listing and the kill.
            }
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Live ssh processes whose command line names a socket in our control directory (the masters and their clients).</summary>
    public IReadOnlyList<int> MuxMasterPids()
    {
        if (ControlDirectory is null)
        {
            return [];
        }

        // A ControlPersist master renames itself "ssh: {socket} [mux]", so match the socket path, not the option.
        var needle = ControlDirectory + "/cm-";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Contains(needle, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>
    /// Killing the local ssh does not stop the remote command (no pty, so no SIGHUP), so a finite timeout is
    /// also enforced on the remote side with coreutils' timeout, a little later than ours.
    /// </summary>
    internal IReadOnlyList<string> RemoteArgv(IReadOnlyList<string> argv, TimeSpan timeout)
    {
        return RemoteCommand.WithRemoteTimeout(argv, timeout, options.RemoteTimeout);
    }

    /// <summary>The ssh argv (without the program). Internal so tests can check it without a host.</summary>
    internal List<string> BuildArguments(SshTarget target, string? remoteCommand)
    {
        var user = target.User ?? options.User;
        var port = target.Port ?? options.Port;
        var identity = target.IdentityFile ?? options.IdentityFile;
        var knownHosts = target.KnownHostsFile ?? options.KnownHostsFile;

        var args = new List<string>
        {
            "-n", "-T",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", $"ConnectTimeout={Math.Max(1, (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds))}",
        };
        if (knownHosts is not null)
        {
            // Only this file is trusted; a key in the system-wide file must not make a host acceptable.
            args.AddRange(["-o", $"UserKnownHostsFile={SshConfigValue(knownHosts)}", "-o", "GlobalKnownHostsFile=/dev/null"]);
        }

        if (identity is not null)
        {
            args.AddRange(["-i", identity, "-o", "IdentitiesOnly=yes"]);
        }

        if (port is not null)
        {
            args.AddRange(["-p", port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (user is not null)
        {
            args.AddRange(["-l", user]);
        }

        if (ControlDirectory is not null)
        {
            args.AddRange([
                "-o", "ControlMaster=auto",
                "-o", $"ControlPath={ControlPathFor(target)}",
                "-o", $"ControlPersist={Math.Max(1, (int)options.ControlPersist.TotalSeconds)}",
            ]);
        }
        else
        {
            args.AddRange(["-o", "ControlMaster=no", "-o", "ControlPath=none"]);
        }

        foreach (var extra in options.ExtraOptions)
        {
            args.AddRange(["-o", extra]);
        }

        args.Add("--");
        args.Add(target.Host);
        if (remoteCommand is not null)
        {
            args.Add(remoteCommand);
        }

        return args;
    }

    private string ControlPathFor(SshTarget target) =>
        $"{ControlDirectory}/{ControlName(target.User ?? options.User, target.Host, target.Port ?? options.Port, target.IdentityFile ?? options.IdentityFile, target.KnownHostsFile ?? options.KnownHostsFile)}";

    // Our own hash rather than %C: %C ignores the identity and known_hosts, so a call with a wrong key or a
    // different known_hosts would ride an already-authenticated connection and never be checked.
    private string ControlName(string? user, string host, int? port, string? identity, string? knownHosts)
    {
        var key = string.Join('\n', options.SshPath, user ?? "", host.ToLowerInvariant(), port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", identity ?? "", knownHosts ?? "");
        return "cm-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 8));
    }

    private static string SshConfigValue(string value) => value.Contains(' ', StringComparison.Ordinal) ? $"\"{value}\"" : value;

    private ProcessStartInfo NewStartInfo(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(options.SshPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    private static string PrepareControlDirectory(string? configured)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Multiplexed ssh needs Unix sockets.");
        }

        var dir = configured ?? Path.Combine("/tmp", $"wrangler-ssh-{Environment.UserName}");
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var info = Directory.CreateDirectory(dir, Private);
        if (info.LinkTarget is not null)
        {
            throw new InvalidOperationException($"SSH control directory {dir} is a symbolic link; refusing to put sockets there.");
        }

        // CreateDirectory leaves an existing directory's mode alone; other users must not reach our sockets.
        // This throws if the directory belongs to someone else, which is the right outcome too.
        File.SetUnixFileMode(dir, Private);

        // Socket paths are limited to 108 bytes (104 on BSD): dir + "/cm-" + 16 hex + ssh's temporary suffix.
        if (Encoding.UTF8.GetByteCount(dir) > 60)
        {
            throw new InvalidOperationException($"SSH control directory {dir} is too long for Unix socket paths; use a path under 60 bytes.");
        }

        return dir;
    }

    private static async Task Pump(StreamReader reader, OutputStream stream, OutputCapture capture, LineSink sink)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                capture.Append(line);
                sink.Deliver(new OutputLine(stream, line));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process object was disposed under an abandoned pump: nothing more to read.
        }
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // SIGKILL was sent; a process that survives that is beyond our reach.
        }
    }

    private static async Task DrainAsync(Task pumps, TimeSpan limit)
    {
        try
        {
            await pumps.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A daemonised grandchild holds the pipe; what was read so far is what we report.
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
