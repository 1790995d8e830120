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

    /// <summary>
    /// Every running build and those started at or after <paramref name="since"/> (the fleet's builds index). Masters
    /// that keep no finished builds answer with the running ones.
    /// </summary>
    async Task<IReadOnlyList<BuildbotBuild>> GetBuildsSinceAsync(DateTimeOffset since, CancellationToken ct = default) =>
        [.. (await GetRunningBuildsAsync(ct).ConfigureAwait(false))
            .Select(r => new BuildbotBuild(r.BuildId, r.BuilderId, r.Number, r.WorkerId, r.MasterId, r.StartedAt, null, false, null, r.StateString))];

    /// <summary>
    /// The master's live event stream for <paramref name="path"/> (e.g. <c>workers/*/*</c>); it ends when the master
    /// closes the connection, which is the only sign of a master going away. Masters without it throw <see cref="NotSupportedException"/>.
    /// </summary>
    IAsyncEnumerable<BuildbotEvent> ListenAsync(string path, CancellationToken ct = default) =>
        throw new NotSupportedException("this master has no event stream");
}
