using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Options;
using Renci.SshNet;

namespace Wrangler.Core.Remote;

/// <summary>
/// SSH in-process with SSH.NET (<c>Wrangler:Ssh:Client=sshnet</c>, the default): one authenticated session per
/// (user, host, port, identity, known_hosts), reused by every command, each command on its own channel
/// (docs/remote.md). Host keys are checked by <see cref="KnownHosts"/>, strictly.
/// </summary>
public sealed class SshNetRunner : ISshRunner, IAsyncDisposable, IDisposable
{
    private readonly SshOptions options;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, SshNetSession> sessions = new(StringComparer.Ordinal);
    private int disposed;

    public SshNetRunner(IOptions<SshOptions> options, TimeProvider time)
    {
        this.options = options.Value;
        this.time = time;
    }

    /// <summary>Sessions currently connected, for the scale measurement and tests.</summary>
    public int ConnectedSessions => sessions.Values.Count(s => s.IsConnected);

    /// <summary>Connection attempts made over all sessions.</summary>
    internal int ConnectAttempts => sessions.Values.Sum(s => s.ConnectAttempts);

    public async Task<RemoteResult> RunAsync(SshTarget target, IReadOnlyList<string> argv, TimeSpan timeout,
        Action<OutputLine>? onLine = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfEqual(argv.Count, 0);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        ct.ThrowIfCancellationRequested();

        var endpoint = Resolve(target);
        var session = sessions.GetOrAdd(endpoint.Key, _ => new SshNetSession(endpoint, options, time));
        var commandText = ShellQuote.Join(RemoteCommand.WithRemoteTimeout(argv, timeout, options.RemoteTimeout));
        var started = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            var client = await session.ConnectedClientAsync(linked.Token).ConfigureAwait(false);
            var (exit, stdout, stderr) = await ExecuteAsync(session, client, commandText, onLine, linked.Token).ConfigureAwait(false);
            return new RemoteResult(exit, stdout, stderr, time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            ct.ThrowIfCancellationRequested();
            throw new SshException(SshFailureKind.Timeout,
                $"{RemoteCommand.Describe(argv)} on {target} did not finish within {timeout.TotalSeconds:0.#} s; its channel was closed",
                target.ToString());
        }
    }

    /// <summary>Disconnects every session; commands still running end with an error.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        foreach (var s in sessions.Values)
        {
            s.Dispose();
        }

        sessions.Clear();
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> ExecuteAsync(
        SshNetSession session, SshClient client, string commandText, Action<OutputLine>? onLine, CancellationToken ct)
    {
        var stdout = new OutputCapture();
        var stderr = new OutputCapture();
        SshCommand command;
        try
        {
            command = client.CreateCommand(commandText, Encoding.UTF8);
        }
        catch (Exception ex) when (SshNetErrors.IsConnectionLoss(ex))
        {
            session.Drop(client);
            throw SshNetErrors.Lost(session.Endpoint, ex);
        }

        using (command)
        {
            var sink = new LineSink(onLine, () => command.CancelAsync(forceKill: true, millisecondsTimeout: 500));
            Task execution;
            try
            {
                execution = command.ExecuteAsync(CancellationToken.None);
            }
            catch (Exception ex) when (SshNetErrors.IsConnectionLoss(ex))
            {
                session.Drop(client);
                throw SshNetErrors.Lost(session.Endpoint, ex);
            }

            // SSH.NET's pipe streams only block on Read, so each reader gets a thread of its own rather than a pool thread.
            var pumps = Task.WhenAll(
                Task.Factory.StartNew(() => Pump(command.OutputStream, OutputStream.Stdout, stdout, sink), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default),
                Task.Factory.StartNew(() => Pump(command.ExtendedOutputStream, OutputStream.Stderr, stderr, sink), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
            try
            {
                await execution.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Signal the remote command, then close the channel (disposing the command) whatever it answers;
                // if the session itself no longer answers, it is torn down so the next call reconnects.
                Abandon(session, client, command);
                throw;
            }
            catch (Exception ex) when (SshNetErrors.IsConnectionLoss(ex))
            {
                session.Drop(client);
                throw SshNetErrors.Lost(session.Endpoint, ex);
            }

            await Task.WhenAny(pumps, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
            sink.ThrowIfCallbackFailed();
            return (ExitCode(command), stdout.ToString(), stderr.ToString());
        }
    }

    private static void Abandon(SshNetSession session, SshClient client, SshCommand command)
    {
        try
        {
            command.CancelAsync(forceKill: false, millisecondsTimeout: 100);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException || SshNetErrors.IsConnectionLoss(ex))
        {
            // Not started or already over.
        }

        session.ProbeLater(client);
    }

    // A command killed by a signal has no exit status: report it the way a shell does (128 + signal number).
    private static int ExitCode(SshCommand command) => command.ExitStatus ?? (command.ExitSignal switch
    {
        "HUP" => 129,
        "INT" => 130,
        "KILL" => 137,
        "PIPE" => 141,
        "TERM" => 143,
        _ => 255,
    });

    private static void Pump(Stream stream, OutputStream kind, OutputCapture capture, LineSink sink)
    {
        try
        {
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            while (reader.ReadLine() is { } line)
            {
                capture.Append(line);
                sink.Deliver(new OutputLine(kind, line));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The channel was closed under us: nothing more to read.
        }
    }

    private SshEndpoint Resolve(SshTarget target)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var user = target.User ?? options.User ?? Environment.UserName;
        var port = target.Port ?? options.Port ?? 22;
        var identity = target.IdentityFile ?? options.IdentityFile;
        IReadOnlyList<string> identities = identity is not null
            ? [identity]
            : new[] { "id_ed25519", "id_ecdsa", "id_rsa" }.Select(n => Path.Combine(home, ".ssh", n)).Where(File.Exists).ToList();
        var knownHosts = target.KnownHostsFile ?? options.KnownHostsFile ?? Path.Combine(home, ".ssh", "known_hosts");
        return new SshEndpoint(target.Host, port, user, identities, knownHosts, target.ToString());
    }
}

/// <summary>Everything a session is keyed by: a different key or known_hosts never rides another's authenticated session.</summary>
internal sealed record SshEndpoint(string Host, int Port, string User, IReadOnlyList<string> Identities, string KnownHostsFile, string Display)
{
    public string Key => string.Join('\n', User, Host.ToLowerInvariant(), Port, string.Join('\t', Identities), KnownHostsFile);

    public override string ToString() => Display;
}
