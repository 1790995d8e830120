using Wrangler.Core.Buildbot;

namespace Wrangler.Core.Demo;

/// <summary>A demo master's REST API: it answers while the master process runs, like the real one.</summary>
internal sealed class DemoBuildbotApi(DemoFleet fleet, SimMaster master) : IBuildbotApi
{
    public Task<IReadOnlyList<BuildbotMaster>> GetMastersAsync(CancellationToken ct = default) => Run(() => fleet.ApiMasters(master), ct);

    public Task<IReadOnlyList<BuildbotWorker>> GetWorkersAsync(CancellationToken ct = default) => Run(() => fleet.ApiWorkers(master), ct);

    public Task<IReadOnlyList<RunningBuild>> GetRunningBuildsAsync(CancellationToken ct = default) => Run(() => fleet.ApiRunningBuilds(master), ct);

    public Task<IReadOnlyList<PendingBuildRequest>> GetPendingRequestsAsync(CancellationToken ct = default) => Run(() => fleet.ApiPendingRequests(master), ct);

    public Task<IReadOnlyList<BuildbotBuilder>> GetBuildersAsync(CancellationToken ct = default) => Run(() => fleet.ApiBuilders(master), ct);

    public Task ControlWorkerAsync(string workerName, WorkerAction action, string reason, CancellationToken ct = default) =>
        Run(() =>
        {
            fleet.ControlWorker(master, workerName, action, reason);
            return true;
        }, ct);

    private static Task<T> Run<T>(Func<T> call, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(ct);
        }

        try
        {
            return Task.FromResult(call());
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }
}
