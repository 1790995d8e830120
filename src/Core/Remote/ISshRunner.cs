namespace Wrangler.Core.Remote;

/// <summary>Runs one argv on a host over ssh. Exists so SshMasterHost can be unit-tested with a fake.</summary>
public interface ISshRunner
{
    /// <summary>
    /// Runs <paramref name="argv"/> (each element quoted for the remote shell) and returns when it exits.
    /// <paramref name="onLine"/> sees stdout/stderr lines as they arrive, one call at a time.
    /// A remote non-zero exit is in the result; ssh's own failure throws <see cref="SshException"/>;
    /// passing <paramref name="timeout"/> throws <see cref="SshException"/> with <see cref="SshFailureKind.Timeout"/>;
    /// cancellation throws <see cref="OperationCanceledException"/>. Either way the local ssh process is gone.
    /// </summary>
    Task<RemoteResult> RunAsync(SshTarget target, IReadOnlyList<string> argv, TimeSpan timeout,
        Action<OutputLine>? onLine = null, CancellationToken ct = default);
}
