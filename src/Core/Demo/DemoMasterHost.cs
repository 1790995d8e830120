using Wrangler.Core.Buildbot;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Demo;

/// <summary>
/// A demo master's host. Calls answer at once; <see cref="HostFacts.Elapsed"/> and friends report plausible latencies,
/// and the output sink gets the lines the real command would print.
/// </summary>
internal sealed class DemoMasterHost(DemoFleet fleet, SimMaster master) : IMasterHost
{
    public Task<HostFacts> GetFactsAsync(int logLines = 20, CancellationToken ct = default) =>
        Timed(DemoCall.Run(() => fleet.Facts(master, logLines), ct), r => r.Elapsed, ct);

    public Task<RemoteResult> GracefulStopAsync(Action<string>? output = null, CancellationToken ct = default) =>
        Timed(DemoCall.Run(() => Emit(output, fleet.GracefulStop(master)), ct), r => r.Elapsed, ct);

    public Task<RemoteResult> HardStopAsync(Action<string>? output = null, CancellationToken ct = default) =>
        Timed(DemoCall.Run(() => Emit(output, fleet.HardStop(master)), ct), r => r.Elapsed, ct);

    public Task<RemoteResult> StartAsync(Action<string>? output = null, CancellationToken ct = default) =>
        Timed(DemoCall.Run(() => Emit(output, fleet.Start(master)), ct), r => r.Elapsed, ct);

    public Task<ReconfigResult> ReconfigAsync(TimeSpan? timeout = null, Action<string>? output = null, CancellationToken ct = default) =>
        Timed(DemoCall.Run(() =>
        {
            var r = fleet.Reconfig(master);
            Emit(output, string.Join('\n', r.LogLines.Where(l => !l.StartsWith("@@", StringComparison.Ordinal))));
            return r;
        }, ct), r => r.Elapsed, ct);

    public Task<ConfigCheckResult> CheckConfigAsync(Action<string>? output = null, CancellationToken ct = default) =>
        Timed(DemoCall.Run(() =>
        {
            var r = fleet.CheckConfig(master);
            Emit(output, r.Output);
            return r;
        }, ct), r => r.Elapsed, ct);

    public Task<IReadOnlyList<RepoUpdateResult>> UpdateReposAsync(Action<string>? output = null, CancellationToken ct = default) =>
        DemoCall.Run(() => EmitRepos(output, "pulling", fleet.UpdateRepos(master)), ct);

    public Task<IReadOnlyList<RepoUpdateResult>> RestoreReposAsync(IReadOnlyDictionary<string, string> revisions, Action<string>? output = null, CancellationToken ct = default) =>
        DemoCall.Run(() => EmitRepos(output, "restoring", fleet.RestoreRepos(master, revisions)), ct);

    public Task<RemoteResult> CreateLockAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.SetLock(master, true), ct);

    public Task<RemoteResult> RemoveLockAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.SetLock(master, false), ct);

    public Task<RemoteResult> RebootAsync(Action<string>? output = null, CancellationToken ct = default) =>
        DemoCall.Run(() => Emit(output, fleet.Reboot(master)), ct);

    public IAsyncEnumerable<MasterLogEvent> FollowLogAsync(Action? onFollowing = null, CancellationToken ct = default) =>
        fleet.FollowAsync(master, onFollowing, ct);

    /// <summary>With <see cref="DemoFleet.CallsTakeTime"/>, the answer comes after the latency it reports, on the fleet's clock.</summary>
    private Task<T> Timed<T>(Task<T> call, Func<T, TimeSpan> elapsed, CancellationToken ct) =>
        fleet.CallsTakeTime ? TimedAsync(call, elapsed, ct) : call;

    private async Task<T> TimedAsync<T>(Task<T> call, Func<T, TimeSpan> elapsed, CancellationToken ct)
    {
        var r = await call.ConfigureAwait(false);
        await Task.Delay(elapsed(r), fleet.Clock, ct).ConfigureAwait(false);
        return r;
    }

    private static RemoteResult Emit(Action<string>? output, RemoteResult r)
    {
        Emit(output, r.Stdout + r.Stderr);
        return r;
    }

    private static void Emit(Action<string>? output, string text)
    {
        if (output is null)
        {
            return;
        }

        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            output(line.TrimEnd('\r'));
        }
    }

    private IReadOnlyList<RepoUpdateResult> EmitRepos(Action<string>? output, string verb, IReadOnlyList<RepoUpdateResult> results)
    {
        foreach (var r in results)
        {
            Emit(output, $"{verb} {r.Name} in {r.Dir}\n{(r.Changed ? $"{r.Before} → {r.After}" : $"{r.After}: no changes")}");
        }

        return results;
    }
}
