using Wrangler.Core.Buildbot;

namespace Wrangler.Core.Remote;

/// <summary>
/// Typed operations on one master's host. Nothing here takes free text: every command is built from the
/// validated inventory entry. Transport failures throw (<see cref="SshException"/> for the SSH implementation);
/// a command that ran and failed is reported in the result.
/// Operations that run a remote command take an optional <c>output</c> sink: it gets each stdout/stderr line as it
/// arrives (Wrangler's own "@@" marker lines left out), on the reading thread, so it must not block or throw.
/// </summary>
public interface IMasterHost
{
    /// <summary>Revisions and branches of every checkout, pid/alive, reconfig.lock, uptime, last log lines: one round trip.</summary>
    Task<HostFacts> GetFactsAsync(int logLines = 20, CancellationToken ct = default);

    /// <summary>Sends SIGUSR1 (Buildbot's clean shutdown: running builds finish first) and returns at once; watch <see cref="FollowLogAsync"/>.</summary>
    Task<RemoteResult> GracefulStopAsync(Action<string>? output = null, CancellationToken ct = default);

    /// <summary><c>buildbot stop</c> (SIGTERM: running builds are cancelled), then SIGKILL if the process survives it.</summary>
    Task<RemoteResult> HardStopAsync(Action<string>? output = null, CancellationToken ct = default);

    /// <summary><c>buildbot start</c>; returns when the master is running or its startup failed.</summary>
    Task<RemoteResult> StartAsync(Action<string>? output = null, CancellationToken ct = default);

    /// <summary>SIGHUP, then the log decides: complete, aborted, partially applied, or nothing within <paramref name="timeout"/>.</summary>
    Task<ReconfigResult> ReconfigAsync(TimeSpan? timeout = null, Action<string>? output = null, CancellationToken ct = default);

    Task<ConfigCheckResult> CheckConfigAsync(Action<string>? output = null, CancellationToken ct = default);

    /// <summary>Pulls every checkout and updates it to the tip of its branch (refusing to touch local changes).</summary>
    Task<IReadOnlyList<RepoUpdateResult>> UpdateReposAsync(Action<string>? output = null, CancellationToken ct = default);

    /// <summary>Updates checkouts back to the given revisions (repo name → hex id), without pulling: the undo of an update.</summary>
    Task<IReadOnlyList<RepoUpdateResult>> RestoreReposAsync(IReadOnlyDictionary<string, string> revisions, Action<string>? output = null, CancellationToken ct = default);

    Task<RemoteResult> CreateLockAsync(CancellationToken ct = default);

    Task<RemoteResult> RemoveLockAsync(CancellationToken ct = default);

    /// <summary>Runs the inventory's reboot command; the connection dropping under it counts as success.</summary>
    Task<RemoteResult> RebootAsync(Action<string>? output = null, CancellationToken ct = default);

    /// <summary>
    /// Follows twistd.log (across rotation) and yields its marker events until cancelled. <paramref name="onFollowing"/>
    /// is called once the position is fixed: every line written after that is seen.
    /// </summary>
    IAsyncEnumerable<MasterLogEvent> FollowLogAsync(Action? onFollowing = null, CancellationToken ct = default);
}
