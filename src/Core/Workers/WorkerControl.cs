using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Persistence;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Workers;

public enum WorkerRefusal
{
    NotFound,
    NotConnected,
    Invalid,
    MasterRefused,

    /// <summary>This instance follows (docs/ha.md): the leader's tracker stores the marks and lifts the timed pauses.</summary>
    Follower,
}

/// <summary>Why a worker action was not done; the API turns <see cref="Kind"/> into 404, 409, 400, 502 or 503.</summary>
public sealed class WorkerRefusedException(WorkerRefusal kind, string message) : Exception(message)
{
    public WorkerRefusal Kind { get; } = kind;
}

/// <summary>
/// Pause, unpause, graceful shutdown and kill, sent to the master the worker is connected to (control anywhere
/// else is silently ignored: BUILDBOT.md §3), audited; expected-idle marks; timed pauses lifted when due.
/// </summary>
public sealed class WorkerControl(
    WorkerTracker tracker,
    Fleet.IInventorySource inventory,
    IFleetAccess access,
    IDbContextFactory<WranglerDb> dbs,
    Leases.LeaderLease lease,
    TimeProvider time,
    ILogger<WorkerControl> logger) : BackgroundService
{
    public const string System = "wrangler";

    public async Task<WorkerView> ControlAsync(string name, WorkerAction action, string? reason, DateTimeOffset? until, string actor, CancellationToken ct)
    {
        EnsureLeading();
        // The reason goes to the master and the audit log: the same rules as every reason (docs/hardening.md).
        if (string.IsNullOrWhiteSpace(reason) || Input.InputRules.ReasonProblem("reason", reason) is not null)
        {
            throw new WorkerRefusedException(WorkerRefusal.Invalid, Input.InputRules.ReasonProblem("reason", reason, required: true)!);
        }

        var now = time.GetUtcNow();
        if (until is { } u && (action != WorkerAction.Pause || u <= now))
        {
            throw new WorkerRefusedException(WorkerRefusal.Invalid, action != WorkerAction.Pause ? "only a pause takes an 'until'" : "'until' must be in the future");
        }

        var worker = tracker.Find(name) ?? throw new WorkerRefusedException(WorkerRefusal.NotFound, $"no worker named '{name}' on any enabled master");
        if (worker.ConnectedTo.Count == 0)
        {
            throw new WorkerRefusedException(WorkerRefusal.NotConnected, $"worker '{name}' is not connected to any master; nothing would receive the {Word(action)}");
        }

        var masterName = worker.ConnectedTo[0];
        var master = inventory.Masters.FirstOrDefault(m => m.Name == masterName)
            ?? throw new WorkerRefusedException(WorkerRefusal.NotConnected, $"worker '{name}' is connected to {masterName}, which is not in the inventory");
        try
        {
            await access.Api(master).ControlWorkerAsync(name, action, $"{reason.Trim()} ({actor} via Wrangler)", ct).ConfigureAwait(false);
        }
        catch (BuildbotApiException ex)
        {
            throw new WorkerRefusedException(ex.Kind == BuildbotErrorKind.UnknownWorker ? WorkerRefusal.NotConnected : WorkerRefusal.MasterRefused, ex.Message);
        }

        tracker.Update(name, r => r.PausedUntil = action == WorkerAction.Pause ? until : action == WorkerAction.Unpause ? null : r.PausedUntil);
        await AuditAsync(actor, "worker." + Word(action), name,
            $"on {masterName}: {reason.Trim()}" + (until is { } t ? $" (until {t.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)" : ""), ct).ConfigureAwait(false);
        tracker.Nudge(masterName);
        return tracker.Find(name) ?? worker;
    }

    public async Task<WorkerView> MarkExpectedIdleAsync(string name, string? reason, DateTimeOffset? until, string actor, CancellationToken ct)
    {
        EnsureLeading();
        // The reason goes to the master and the audit log: the same rules as every reason (docs/hardening.md).
        if (string.IsNullOrWhiteSpace(reason) || Input.InputRules.ReasonProblem("reason", reason) is not null)
        {
            throw new WorkerRefusedException(WorkerRefusal.Invalid, Input.InputRules.ReasonProblem("reason", reason, required: true)!);
        }

        if (until is not { } u || u <= time.GetUtcNow())
        {
            throw new WorkerRefusedException(WorkerRefusal.Invalid, "an expiry ('until') in the future is required");
        }

        if (!tracker.Update(name, r =>
            {
                r.IdleReason = reason.Trim();
                r.IdleBy = actor;
                r.IdleUntil = u;
            }))
        {
            throw new WorkerRefusedException(WorkerRefusal.NotFound, $"no worker named '{name}' on any enabled master");
        }

        await AuditAsync(actor, "worker.expectedIdle", name, $"{reason.Trim()} (until {u.UtcDateTime:yyyy-MM-dd HH:mm} UTC)", ct).ConfigureAwait(false);
        return tracker.Find(name)!;
    }

    public async Task<WorkerView> ClearExpectedIdleAsync(string name, string actor, CancellationToken ct)
    {
        EnsureLeading();
        string? was = null;
        if (!tracker.Update(name, r =>
            {
                was = r.IdleReason;
                r.IdleReason = null;
                r.IdleBy = null;
                r.IdleUntil = null;
            }))
        {
            throw new WorkerRefusedException(WorkerRefusal.NotFound, $"no worker named '{name}' on any enabled master");
        }

        await AuditAsync(actor, "worker.expectedIdleCleared", name, was is null ? "was not marked" : $"was: {was}", ct).ConfigureAwait(false);
        return tracker.Find(name)!;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await tracker.Loaded.ConfigureAwait(false);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                // Only the leader lifts timed pauses, so two instances never both unpause (docs/ha.md).
                foreach (var name in lease.IsLeader ? tracker.PausesDue(time.GetUtcNow()) : [])
                {
                    try
                    {
                        await ControlAsync(name, WorkerAction.Unpause, "timed pause ended", null, System, stoppingToken).ConfigureAwait(false);
                    }
                    catch (WorkerRefusedException ex) when (ex.Kind is WorkerRefusal.NotConnected or WorkerRefusal.NotFound)
                    {
                        // Buildbot keeps the pause in its database; it is lifted on the next tick after the worker is back.
                        logger.LogDebug("timed pause of {Worker} not lifted yet: {Why}", name, ex.Message);
                    }
                    catch (WorkerRefusedException ex)
                    {
                        logger.LogWarning("could not lift the timed pause of {Worker}: {Why}", name, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Only the leader acts on workers: a follower's tracker drops its marks on the next copy from the database, and a
    /// pause's expiry is lifted by the leader alone, so a follower's write would not hold (docs/ha.md).
    /// </summary>
    private void EnsureLeading() => lease.EnsureLeading(m => new WorkerRefusedException(WorkerRefusal.Follower, m));

    public static string Word(WorkerAction a) => a switch
    {
        WorkerAction.Pause => "pause",
        WorkerAction.Unpause => "unpause",
        WorkerAction.GracefulStop => "gracefulShutdown",
        _ => "kill",
    };

    private async Task AuditAsync(string actor, string kind, string subject, string detail, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = actor, Kind = kind, Subject = subject, Detail = detail });
        await db.SaveChangesAsync(ct).ConfigureAwait(false);
    }
}
