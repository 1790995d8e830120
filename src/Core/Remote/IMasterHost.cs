using Wrangler.Core.Buildbot;

namespace Wrangler.Core.Remote;

/// <summary>
/// Typed operations on one master's host. Nothing here takes free text: every command is built from the
/// validated inventory entry. Transport failures throw (<see cref="SshException"/> for the SSH implementation);
/// a command that ran and failed is reported in the result.
/// </summary>
public interface IMasterHost
{
    /// <summary>Revisions and branches of every checkout, pid/alive, reconfig.lock, uptime, last log lines: one round trip.</summary>
    Task<HostFacts> GetFactsAsync(int logLines = 20, CancellationToken ct = default);

    /// <summary>Sends SIGUSR1 (Buildbot's clean shutdown: running builds finish first) and returns at once; watch <see cref="FollowLogAsync"/>.</summary>
    Task<RemoteResult> GracefulStopAsync(CancellationToken ct = default);

    /// <summary><c>buildbot stop</c> (SIGTERM: running builds are cancelled), then SIGKILL if the process survives it.</summary>
    Task<RemoteResult> HardStopAsync(CancellationToken ct = default);

    /// <summary><c>buildbot start</c>; returns when the master is running or its startup failed.</summary>
    Task<RemoteResult> StartAsync(CancellationToken ct = default);

    /// <summary>SIGHUP, then the log decides: complete, aborted, partially applied, or nothing within <paramref name="timeout"/>.</summary>
    Task<ReconfigResult> ReconfigAsync(TimeSpan? timeout = null, CancellationToken ct = default);

    Task<ConfigCheckResult> CheckConfigAsync(CancellationToken ct = default);

    /// <summary>Pulls every checkout and updates it to the tip of its branch (refusing to touch local changes).</summary>
    Task<IReadOnlyList<RepoUpdateResult>> UpdateReposAsync(CancellationToken ct = default);

    /// <summary>Updates checkouts back to the given revisions (repo name → hex id), without pulling: the undo of an update.</summary>
    Task<IReadOnlyList<RepoUpdateResult>> RestoreReposAsync(IReadOnlyDictionary<string, string> revisions, CancellationToken ct = default);

    Task<RemoteResult> CreateLockAsync(CancellationToken ct = default);

    Task<RemoteResult> RemoveLockAsync(CancellationToken ct = default);

    /// <summary>Runs the inventory's reboot command; the connection dropping under it counts as success.</summary>
    Task<RemoteResult> RebootAsync(CancellationToken ct = default);

    /// <summary>
    /// Follows twistd.log (across rotation) and yields its marker events until cancelled. <paramref name="onFollowing"/>
    /// is called once the position is fixed: every line written after that is seen.
    /// </summary>
    IAsyncEnumerable<MasterLogEvent> FollowLogAsync(Action? onFollowing = null, CancellationToken ct = default);
}
