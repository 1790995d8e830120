using Wrangler.Core.Buildbot;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Demo;

/// <summary>A demo master's host. Calls answer at once; <see cref="HostFacts.Elapsed"/> and friends report plausible latencies.</summary>
internal sealed class DemoMasterHost(DemoFleet fleet, SimMaster master) : IMasterHost
{
    public Task<HostFacts> GetFactsAsync(int logLines = 20, CancellationToken ct = default) => DemoCall.Run(() => fleet.Facts(master, logLines), ct);

    public Task<RemoteResult> GracefulStopAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.GracefulStop(master), ct);

    public Task<RemoteResult> HardStopAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.HardStop(master), ct);

    public Task<RemoteResult> StartAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.Start(master), ct);

    public Task<ReconfigResult> ReconfigAsync(TimeSpan? timeout = null, CancellationToken ct = default) => DemoCall.Run(() => fleet.Reconfig(master), ct);

    public Task<ConfigCheckResult> CheckConfigAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.CheckConfig(master), ct);

    public Task<IReadOnlyList<RepoUpdateResult>> UpdateReposAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.UpdateRepos(master), ct);

    public Task<IReadOnlyList<RepoUpdateResult>> RestoreReposAsync(IReadOnlyDictionary<string, string> revisions, CancellationToken ct = default) =>
        DemoCall.Run(() => fleet.RestoreRepos(master, revisions), ct);

    public Task<RemoteResult> CreateLockAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.SetLock(master, true), ct);

    public Task<RemoteResult> RemoveLockAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.SetLock(master, false), ct);

    public Task<RemoteResult> RebootAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.Reboot(master), ct);

    public IAsyncEnumerable<MasterLogEvent> FollowLogAsync(Action? onFollowing = null, CancellationToken ct = default) =>
        fleet.FollowAsync(master, onFollowing, ct);
}
