using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Common;
using SshException = Wrangler.Core.Remote.SshException;

namespace Wrangler.Core.Remote;

/// <summary>
/// One host's authenticated SSH.NET session. Connects on first use and again after a loss, never with more than one
/// attempt at a time: callers queue on <see cref="gate"/> and take the session the first one made.
/// </summary>
internal sealed class SshNetSession(SshEndpoint endpoint, SshOptions options, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private SshClient? client;
    private int probing;
    private bool disposed;

    public SshEndpoint Endpoint => endpoint;

    public bool IsConnected => Volatile.Read(ref client) is { IsConnected: true };

    /// <summary>Connect attempts made so far (a test proves there is never more than one at a time).</summary>
    public int ConnectAttempts { get; private set; }

    public async Task<SshClient> ConnectedClientAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref client) is { IsConnected: true } ready)
        {
            return ready;
        }

        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (client is { IsConnected: true } made)
            {
                return made;
            }

            client?.Dispose();
            client = null;
            ConnectAttempts++;
            var fresh = await ConnectAsync(ct).ConfigureAwait(false);
            Volatile.Write(ref client, fresh);
            return fresh;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Forgets a session that failed; the next call reconnects.</summary>
    public void Drop(SshClient lost)
    {
        if (Interlocked.CompareExchange(ref client, null, lost) == lost)
        {
            DisposeQuietly(lost);
        }
    }

    /// <summary>
    /// After a call timed out, check the session still answers (a trivial command within the connect timeout);
    /// one that does not is torn down, so it cannot hang every later call too.
    /// </summary>
    public void ProbeLater(SshClient suspect)
    {
        if (Interlocked.Exchange(ref probing, 1) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                using var probe = suspect.CreateCommand("true");
                using var limit = new CancellationTokenSource(options.ConnectTimeout, time);
                await probe.ExecuteAsync(CancellationToken.None).WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Any failure at all means the session is of no further use.
                Drop(suspect);
            }
            finally
            {
                Volatile.Write(ref probing, 0);
            }
        });
    }

    public void Dispose()
    {
        gate.Wait();
        try
        {
            disposed = true;
            if (client is not null)
            {
                DisposeQuietly(client);
                client = null;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<SshClient> ConnectAsync(CancellationToken ct)
    {
        var knownHosts = KnownHosts.Load(endpoint.KnownHostsFile);
        var keys = LoadKeys();
        var info = new ConnectionInfo(endpoint.Host, endpoint.Port, endpoint.User, new PrivateKeyAuthenticationMethod(endpoint.User, keys))
        {
            Timeout = options.ConnectTimeout,
            // A timed-out call closes its channel; the caller should not wait the default second for the acknowledgement.
            ChannelCloseTimeout = TimeSpan.FromMilliseconds(250),
        };
        PreferKnownKeyTypes(info, knownHosts.KeyTypesFor(endpoint.Host, endpoint.Port));

        var c = new SshClient(info) { KeepAliveInterval = options.KeepAliveInterval };
        HostKeyVerdict? verdict = null;
        c.HostKeyReceived += (_, e) =>
        {
            verdict = e.Certificate is not null
                ? new HostKeyVerdict(false, $"{endpoint.Host} port {endpoint.Port} offered a host certificate, which the in-process SSH client does not check (set Wrangler:Ssh:Client=openssh)")
                : knownHosts.Check(endpoint.Host, endpoint.Port, e.HostKeyName, e.HostKey);
            e.CanTrust = verdict.Trusted;
        };
        c.ErrorOccurred += (_, _) => Drop(c);

        using var limit = new CancellationTokenSource(options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        try
        {
            await c.ConnectAsync(linked.Token).ConfigureAwait(false);
            return c;
        }
        catch (Exception ex)
        {
            DisposeQuietly(c);
            if (verdict is { Trusted: false })
            {
                throw new SshException(SshFailureKind.HostKeyMismatch, $"host key mismatch for {endpoint}: {verdict.Message}", endpoint.ToString(), inner: ex);
            }

            if (ex is OperationCanceledException && ct.IsCancellationRequested)
            {
                throw;
            }

            throw SshNetErrors.Classify(endpoint, ex, options.ConnectTimeout);
        }
    }

    private PrivateKeyFile[] LoadKeys()
    {
        if (endpoint.Identities.Count == 0)
        {
            throw new SshException(SshFailureKind.AuthenticationRefused,
                $"authentication refused by {endpoint}: no identity file (set Wrangler:Ssh:IdentityFile)", endpoint.ToString());
        }

        return endpoint.Identities.Select(path =>
        {
            try
            {
                return new PrivateKeyFile(path, options.IdentityPassphrase);
            }
            catch (Exception ex) when (ex is Renci.SshNet.Common.SshException or IOException or UnauthorizedAccessException or ArgumentException or FormatException or NotSupportedException)
            {
                throw new SshException(SshFailureKind.AuthenticationRefused,
                    $"authentication refused by {endpoint}: cannot use identity file {path}: {ex.Message}", endpoint.ToString(), inner: ex);
            }
        }).ToArray();
    }

    // OpenSSH asks first for the key types known_hosts has for the host, so a host with several keys is checked
    // against the one we know rather than refused for offering another.
    private static void PreferKnownKeyTypes(ConnectionInfo info, IReadOnlySet<string> knownTypes)
    {
        if (knownTypes.Count == 0)
        {
            return;
        }

        var wanted = info.HostKeyAlgorithms.Keys
            .Where(algorithm => knownTypes.Contains(algorithm) || knownTypes.Contains("ssh-rsa") && algorithm is "rsa-sha2-512" or "rsa-sha2-256")
            .ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return;
        }

        foreach (var algorithm in info.HostKeyAlgorithms.Keys.Where(a => !wanted.Contains(a)).ToList())
        {
            info.HostKeyAlgorithms.Remove(algorithm);
        }
    }

    private static void DisposeQuietly(SshClient c)
    {
        try
        {
            c.Dispose();
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException or Renci.SshNet.Common.SshException or InvalidOperationException)
        {
            // Already torn down.
        }
    }
}

/// <summary>SSH.NET's exceptions as our failure kinds, with the messages <see cref="SshErrorClassifier"/> gives the OpenSSH client's.</summary>
internal static class SshNetErrors
{
    public static bool IsConnectionLoss(Exception ex) =>
        ex is SshConnectionException or SocketException or ObjectDisposedException || ex is IOException && ex.InnerException is SocketException;

    public static SshException Lost(SshEndpoint endpoint, Exception ex) =>
        new(SshFailureKind.Unreachable, $"{endpoint} is unreachable: the connection was lost ({ex.Message})", endpoint.ToString(), inner: ex);

    public static SshException Classify(SshEndpoint endpoint, Exception ex, TimeSpan connectTimeout)
    {
        var socket = ex as SocketException ?? ex.InnerException as SocketException;
        return ex switch
        {
            SshAuthenticationException => new(SshFailureKind.AuthenticationRefused, $"authentication refused by {endpoint}: {ex.Message}", endpoint.ToString(), inner: ex),
            SshOperationTimeoutException or OperationCanceledException or TimeoutException =>
                new(SshFailureKind.Timeout, $"timed out connecting to {endpoint} after {connectTimeout.TotalSeconds:0.#} s", endpoint.ToString(), inner: ex),
            _ when socket is { SocketErrorCode: SocketError.TimedOut } =>
                new(SshFailureKind.Timeout, $"timed out connecting to {endpoint}: {socket.Message}", endpoint.ToString(), inner: ex),
            _ when socket is not null => new(SshFailureKind.Unreachable, $"{endpoint} is unreachable: {socket.Message}", endpoint.ToString(), inner: ex),
            SshConnectionException => new(SshFailureKind.Unreachable, $"{endpoint} is unreachable: {ex.Message}", endpoint.ToString(), inner: ex),
            _ => new(SshFailureKind.Other, $"ssh to {endpoint} failed: {ex.Message}", endpoint.ToString(), inner: ex),
        };
    }
}
