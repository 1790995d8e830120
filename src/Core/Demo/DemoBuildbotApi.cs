using Wrangler.Core.Buildbot;

namespace Wrangler.Core.Demo;

/// <summary>A demo master's REST API: it answers while the master process runs, like the real one.</summary>
internal sealed class DemoBuildbotApi(DemoFleet fleet, SimMaster master) : IBuildbotApi
{
    public Task<IReadOnlyList<BuildbotMaster>> GetMastersAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.ApiMasters(master), ct);

    public Task<IReadOnlyList<BuildbotWorker>> GetWorkersAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.ApiWorkers(master), ct);

    public Task<IReadOnlyList<RunningBuild>> GetRunningBuildsAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.ApiRunningBuilds(master), ct);

    public Task<IReadOnlyList<PendingBuildRequest>> GetPendingRequestsAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.ApiPendingRequests(master), ct);

    public Task<IReadOnlyList<BuildbotBuilder>> GetBuildersAsync(CancellationToken ct = default) => DemoCall.Run(() => fleet.ApiBuilders(master), ct);

    public Task ControlWorkerAsync(string workerName, WorkerAction action, string reason, CancellationToken ct = default) =>
        DemoCall.Run(() =>
        {
            fleet.ControlWorker(master, workerName, action, reason);
            return true;
        }, ct);
}
