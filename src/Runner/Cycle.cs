using System.Threading.Channels;

namespace Wrangler.Runner;

/// <summary>SIGTERM, counted: the first asks for a graceful end, the second for the worker to stop now.</summary>
public sealed class StopRequests
{
    private readonly TaskCompletionSource graceful = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource urgent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int count;

    public Task Graceful => graceful.Task;

    public Task Urgent => urgent.Task;

    public bool GracefulRequested => graceful.Task.IsCompleted;

    public void Signal()
    {
        switch (Interlocked.Increment(ref count))
        {
            case 1:
                graceful.TrySetResult();
                break;
            default:
                urgent.TrySetResult();
                break;
        }
    }
}

/// <summary>The phases reported to Wrangler, in the order a cycle goes through them.</summary>
public static class Phases
{
    public const string Preflight = "preflight";
    public const string Started = "started";
    public const string Connected = "connected";
    public const string ShutdownRequested = "shutdownRequested";
    public const string Stopped = "stopped";
    public const string Postflight = "postflight";
    public const string Halted = "halted";
    public const string Failed = "failed";
}

/// <summary>
/// The worker's cycle: pre-flight tasks → start the worker → wait for its connection → at <c>maxBuilds</c> builds,
/// <c>maxUptime</c> or <c>idleTimeout</c> touch shutdown.stamp → it exits after its build → post-flight tasks → again.
/// A halting task leaves the worker stopped and the runner waiting for a person; a failed start or a retry-later task
/// backs off. Every phase is reported (queued, never awaited on the network). Time is the injected clock's.
/// </summary>
public sealed class Cycle(RunnerConfig config, ITaskStages tasks, IWorkerHost host, IReports reports, StopRequests stop, TimeProvider time, Action<string>? log = null)
{
    private enum End
    {
        Stopped,
        StartFailed,
        StoppedNow,
    }

    private TimeSpan backoff = config.Backoff.Initial;

    /// <summary>Completed cycles (the worker connected and stopped), for tests and the log.</summary>
    public int Cycles { get; private set; }

    /// <summary>Runs until stopped; the exit code: 0 after a stop request.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        while (!stop.GracefulRequested)
        {
            var pre = TaskRunner.List(config.PreflightDir).Count;
            Report(Phases.Preflight, $"cycle {Cycles + 1}: {pre} pre-flight task(s)");
            var preflight = await tasks.RunAsync(Phases.Preflight, ct).ConfigureAwait(false);
            if (preflight.Verdict == TaskVerdict.Halt)
            {
                return await HaltAsync(preflight).ConfigureAwait(false);
            }

            if (preflight.Verdict == TaskVerdict.RetryLater)
            {
                Report(Phases.Failed, $"pre-flight: {preflight.Stopper!.Describe()}; retrying in {Span(backoff)}");
                await BackOffAsync(ct).ConfigureAwait(false);
                continue;
            }

            if (stop.GracefulRequested)
            {
                break;
            }

            var end = await RunWorkerAsync(ct).ConfigureAwait(false);
            if (end == End.StoppedNow)
            {
                // A second SIGTERM wants out now: the next start's pre-flight cleans up instead of this post-flight.
                return 0;
            }

            Report(Phases.Postflight, $"{TaskRunner.List(config.PostflightDir).Count} post-flight task(s)");
            var postflight = await tasks.RunAsync(Phases.Postflight, ct).ConfigureAwait(false);
            if (postflight.Verdict == TaskVerdict.Halt)
            {
                return await HaltAsync(postflight).ConfigureAwait(false);
            }

            if (end == End.StartFailed || postflight.Verdict == TaskVerdict.RetryLater)
            {
                if (postflight.Verdict == TaskVerdict.RetryLater)
                {
                    Report(Phases.Failed, $"post-flight: {postflight.Stopper!.Describe()}; retrying in {Span(backoff)}");
                }

                await BackOffAsync(ct).ConfigureAwait(false);
                continue;
            }

            Cycles++;
            backoff = config.Backoff.Initial;
        }

        return 0;
    }

    private async Task<End> RunWorkerAsync(CancellationToken ct)
    {
        await using var worker = host.Start();
        var startedAt = time.GetUtcNow();
        Report(Phases.Started, $"{string.Join(' ', config.WorkerCommand)} start --nodaemon {config.WorkerBasedir}");
        DateTimeOffset? connectedAt = null;
        DateTimeOffset? lastBuildAt = null;
        DateTimeOffset? shutdownAt = null;
        var builds = 0;
        var gracefulSeen = false;
        Task<bool>? read = null;
        while (true)
        {
            var now = time.GetUtcNow();
            var deadline = connectedAt is null ? startedAt + config.ConnectTimeout
                : shutdownAt is { } s ? s + config.HardStopAfter
                : Min(connectedAt.Value + config.MaxUptime, (lastBuildAt ?? connectedAt.Value) + config.IdleTimeout);
            using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var delay = Task.Delay(deadline > now ? deadline - now : TimeSpan.Zero, time, delayCts.Token);
            read ??= worker.Events.WaitToReadAsync(ct).AsTask();
            // Task.WhenAny picks the first completed in list order: a stop request is seen before an exit that raced it.
            var waits = new List<Task> { stop.Urgent };
            if (!gracefulSeen)
            {
                waits.Add(stop.Graceful);
            }

            waits.AddRange([worker.Exited, read, delay]);

            var done = await Task.WhenAny(waits).ConfigureAwait(false);
            await delayCts.CancelAsync().ConfigureAwait(false);

            if (done == stop.Urgent)
            {
                await worker.StopNowAsync().ConfigureAwait(false);
                Report(Phases.Stopped, $"stopped now on a second SIGTERM (exit {await worker.Exited.ConfigureAwait(false)})");
                return End.StoppedNow;
            }

            if (done == worker.Exited)
            {
                var code = await worker.Exited.ConfigureAwait(false);
                if (connectedAt is null && shutdownAt is null)
                {
                    Report(Phases.Failed, $"the worker exited ({code}) before it connected; retrying in {Span(backoff)}");
                    Report(Phases.Stopped, $"exit {code}");
                    return End.StartFailed;
                }

                Report(Phases.Stopped, shutdownAt is null ? $"the worker exited by itself (exit {code}) after {builds} build(s)" : $"exit {code} after {builds} build(s)");
                return End.Stopped;
            }

            if (done == stop.Graceful)
            {
                gracefulSeen = true;
                if (shutdownAt is null)
                {
                    RequestShutdown(worker, "SIGTERM: graceful shutdown, then post-flight and exit", ref shutdownAt);
                }

                continue;
            }

            if (done == read)
            {
                if (!await read.ConfigureAwait(false))
                {
                    // The log follower ended (the worker is going away); the exit decides what happened.
                    read = Task.FromResult(false);
                    await worker.Exited.ConfigureAwait(false);
                    continue;
                }

                read = null;
                while (worker.Events.TryRead(out var e))
                {
                    switch (e)
                    {
                        case WorkerLogEvent.Connected when connectedAt is null:
                            connectedAt = time.GetUtcNow();
                            Report(Phases.Connected, $"connected after {Span(connectedAt.Value - startedAt)}");
                            break;
                        case WorkerLogEvent.BuildStarted:
                            builds++;
                            lastBuildAt = time.GetUtcNow();
                            log?.Invoke($"build {builds} of {config.MaxBuilds} started");
                            if (builds >= config.MaxBuilds && shutdownAt is null)
                            {
                                RequestShutdown(worker, $"{builds} build(s) (maxBuilds {config.MaxBuilds})", ref shutdownAt);
                            }

                            break;
                    }
                }

                continue;
            }

            // The deadline passed.
            if (connectedAt is null)
            {
                Report(Phases.Failed, $"no connection to a master within {Span(config.ConnectTimeout)}; stopping the worker, retrying in {Span(backoff)}");
                await worker.StopNowAsync().ConfigureAwait(false);
                Report(Phases.Stopped, $"stopped after a failed start (exit {await worker.Exited.ConfigureAwait(false)})");
                return End.StartFailed;
            }

            if (shutdownAt is { } asked)
            {
                log?.Invoke($"still running {Span(time.GetUtcNow() - asked)} after the shutdown request: stopping it now (hardStopAfter)");
                await worker.StopNowAsync().ConfigureAwait(false);
                Report(Phases.Stopped, $"stopped now: still running {Span(config.HardStopAfter)} after the shutdown request (hardStopAfter) (exit {await worker.Exited.ConfigureAwait(false)})");
                return End.Stopped;
            }

            var uptimeUp = time.GetUtcNow() >= connectedAt.Value + config.MaxUptime;
            RequestShutdown(worker, uptimeUp ? $"up {Span(config.MaxUptime)} (maxUptime)" : $"idle {Span(config.IdleTimeout)} (idleTimeout)", ref shutdownAt);
        }
    }

    private void RequestShutdown(IRunningWorker worker, string why, ref DateTimeOffset? shutdownAt)
    {
        worker.RequestShutdown();
        shutdownAt = time.GetUtcNow();
        Report(Phases.ShutdownRequested, $"touched shutdown.stamp: {why}");
    }

    private async Task<int> HaltAsync(StageResult stage)
    {
        var t = stage.Stopper!;
        var output = t.Output.Trim();
        Report(Phases.Halted, $"{stage.Stage} {t.Describe()}; the worker stays stopped until the runner is restarted"
            + (output.Length > 0 ? $"\n{(output.Length > 2000 ? output[^2000..] : output)}" : ""));
        // Stands in for a reboot a person must look at: wait for them (systemctl restart runs the cycle again).
        await stop.Graceful.ConfigureAwait(false);
        return 0;
    }

    private async Task BackOffAsync(CancellationToken ct)
    {
        var wait = backoff;
        backoff = backoff * 2 > config.Backoff.Max ? config.Backoff.Max : backoff * 2;
        log?.Invoke($"backing off {Span(wait)}");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await Task.WhenAny(Task.Delay(wait, time, cts.Token), stop.Graceful).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
    }

    private void Report(string phase, string detail)
    {
        log?.Invoke($"{phase}: {detail}");
        reports.Enqueue(phase, detail);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    internal static string Span(TimeSpan t) =>
        t.TotalSeconds < 90 ? $"{t.TotalSeconds:0}s" : t.TotalMinutes < 90 ? $"{t.TotalMinutes:0}m" : $"{t.TotalHours:0.#}h";
}
