namespace Wrangler.Core.Buildbot;

/// <summary>One master's Buildbot REST API (/api/v2). Failures throw <see cref="BuildbotApiException"/>.</summary>
public interface IBuildbotApi
{
    Task<IReadOnlyList<BuildbotMaster>> GetMastersAsync(CancellationToken ct = default);

    Task<IReadOnlyList<BuildbotWorker>> GetWorkersAsync(CancellationToken ct = default);

    /// <summary>Incomplete builds, with the builder's name and the worker's name resolved.</summary>
    Task<IReadOnlyList<RunningBuild>> GetRunningBuildsAsync(CancellationToken ct = default);

    /// <summary>Incomplete build requests, claimed (running) or not (queued).</summary>
    Task<IReadOnlyList<PendingBuildRequest>> GetPendingRequestsAsync(CancellationToken ct = default);

    Task<IReadOnlyList<BuildbotBuilder>> GetBuildersAsync(CancellationToken ct = default);

    /// <summary>
    /// Pause, unpause, gracefully stop or kill a worker, sent to the master it is connected to (Buildbot silently
    /// ignores control sent to any other master).
    /// </summary>
    Task ControlWorkerAsync(string workerName, WorkerAction action, string reason, CancellationToken ct = default);
}
