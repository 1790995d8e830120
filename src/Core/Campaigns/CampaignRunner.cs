using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wrangler.Core.Fleet;
using Wrangler.Core.Integrations;
using Wrangler.Core.Persistence;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Campaigns;

/// <summary>
/// Runs approved campaigns: starts masters as policy allows (per bucket, globally, by wave), runs each master's steps
/// in order, parks failures for a person, and finishes campaigns. On start it picks up campaigns that were running
/// when Wrangler stopped, and undoes every ledger entry whose campaign is over.
/// </summary>
public sealed class CampaignRunner(
    CampaignService campaigns,
    StepRunner steps,
    IDbContextFactory<WranglerDb> dbs,
    IInventorySource inventory,
    IFleetMonitor monitor,
    IFleetAccess access,
    IAllocator allocator,
    IMonitoringDowntime downtime,
    INotifier notifier,
    TimeProvider time,
    ILogger<CampaignRunner> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<long, Task> active = new();
    private readonly ConcurrentDictionary<long, string?> decisions = new();
    private readonly SemaphoreSlim wake = new(0);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        campaigns.WorkAvailable += Wake;
        await base.StartAsync(cancellationToken);
    }

    private void Wake()
    {
        if (wake.CurrentCount == 0)
        {
            wake.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await campaigns.RefreshHistoryAsync(stoppingToken);
        await SweepLedgerAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Campaign runner tick failed");
            }

            try
            {
                await wake.WaitAsync(Tick, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Stopping Wrangler leaves campaigns as they are in the database; the next start picks them up.
        await Task.WhenAll(active.Values).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { }, CancellationToken.None);
    }

    private async Task TickAsync(CancellationToken ct)
    {
        List<CampaignRecord> open;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            open = await db.Campaigns.AsNoTracking().Include(c => c.Masters)
                .Where(c => c.State == CampaignState.Running || c.State == CampaignState.Paused || c.State == CampaignState.Parked || c.State == CampaignState.Aborted && c.EndedAt == null)
                .ToListAsync(ct);
        }

        foreach (var c in open)
        {
            foreach (var m in c.Masters)
            {
                decisions[m.Id] = m.PendingDecision;
            }

            var request = System.Text.Json.JsonSerializer.Deserialize<CampaignRequest>(c.RequestJson, CampaignService.Json)!;

            // Masters that were in flight (this run or before a restart) always get a task: they must finish cleanly.
            foreach (var m in c.Masters.Where(m => m.State is MasterRunState.Running or MasterRunState.Held or MasterRunState.Failed))
            {
                Launch(c.Id, m.Id, request, ct);
            }

            if (c.NotAfter is { } notAfter && time.GetUtcNow() >= notAfter && c.Masters.Any(m => m.State == MasterRunState.Pending))
            {
                await CutOffAsync(c, notAfter, ct);
            }

            if (c.State == CampaignState.Running)
            {
                await StartEligibleAsync(c, request, ct);
            }

            await FinishIfDoneAsync(c, ct);
        }
    }

    private async Task StartEligibleAsync(CampaignRecord c, CampaignRequest request, CancellationToken ct)
    {
        var failed = c.Masters.Where(m => m.State == MasterRunState.Failed).ToList();
        if (failed.Count >= request.Policy.FailureThreshold)
        {
            await campaigns.UpdateAsync(c.Id, (db, rec) =>
            {
                if (rec.State == CampaignState.Running)
                {
                    rec.State = CampaignStates.Next(rec.State, CampaignCommand.Park);
                    rec.StateDetail = $"{failed.Count} master(s) failed (threshold {request.Policy.FailureThreshold}): "
                                      + string.Join("; ", failed.Select(f => $"{f.Master}: {f.Detail}")) + ". Retry or skip them, then resume; or abort.";
                    db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = "wrangler", Kind = "campaign.parked", Subject = $"campaign {c.Id}", Detail = rec.StateDetail });
                }

                return Task.CompletedTask;
            }, ct);
            await NotifyAsync(c.Id, "parked", ct);
            return;
        }

        var inFlight = c.Masters.Count(m => m.State is MasterRunState.Running or MasterRunState.Held or MasterRunState.Failed);
        foreach (var m in c.Masters.Where(m => m.State == MasterRunState.Pending).OrderBy(m => m.Wave).ThenBy(m => m.Slot))
        {
            if (inFlight >= request.Policy.MaxParallel || m.Wave > c.ApprovedThroughWave)
            {
                break;
            }

            var bucket = c.Masters.Where(x => x.Bucket == m.Bucket).ToList();
            var busyInBucket = bucket.Count(x => x.State is MasterRunState.Running or MasterRunState.Held or MasterRunState.Failed);

            // A failed or held master stops its bucket; earlier slots of the bucket must be done first.
            if (busyInBucket >= request.Policy.PerBucket
                || bucket.Any(x => x.State is MasterRunState.Failed or MasterRunState.Held)
                || bucket.Any(x => x.Wave < m.Wave && x.State is MasterRunState.Pending or MasterRunState.Running))
            {
                continue;
            }

            await campaigns.UpdateAsync(c.Id, (_, rec) =>
            {
                var cm = rec.Masters.Single(x => x.Id == m.Id);
                cm.State = MasterRunState.Running;
                cm.StartedAt = time.GetUtcNow();
                return Task.CompletedTask;
            }, ct);
            m.State = MasterRunState.Running;
            inFlight++;
            Launch(c.Id, m.Id, request, ct);
        }
    }

    /// <summary>A schedule's window closed: masters not yet started are skipped (named), in-flight ones finish.</summary>
    private async Task CutOffAsync(CampaignRecord c, DateTimeOffset notAfter, CancellationToken ct)
    {
        var skipped = new List<string>();
        await campaigns.UpdateAsync(c.Id, (db, rec) =>
        {
            foreach (var m in rec.Masters.Where(m => m.State == MasterRunState.Pending))
            {
                m.State = MasterRunState.Skipped;
                m.Detail = $"not started: the window closed at {notAfter:u}";
                m.EndedAt = time.GetUtcNow();
                skipped.Add(m.Master);
            }

            if (skipped.Count > 0)
            {
                var text = $"window closed at {notAfter:u}; not started, skipped: {string.Join(", ", skipped)}";
                rec.StateDetail = rec.StateDetail is null ? text : rec.StateDetail + " " + text;
                db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = "wrangler", Kind = "campaign.windowClosed", Subject = $"campaign {c.Id}", Detail = text });
            }

            return Task.CompletedTask;
        }, ct);
        foreach (var m in c.Masters.Where(m => skipped.Contains(m.Master)))
        {
            m.State = MasterRunState.Skipped;
        }

        if (skipped.Count > 0)
        {
            await NotifyAsync(c.Id, "windowClosed", ct, detail: "skipped: " + string.Join(", ", skipped));
        }
    }

    private void Launch(long campaignId, long masterId, CampaignRequest request, CancellationToken ct)
    {
        if (active.ContainsKey(masterId))
        {
            return;
        }

        var task = Task.Run(() => RunMasterAsync(campaignId, masterId, request, ct), CancellationToken.None);
        active[masterId] = task;
        _ = task.ContinueWith(_ =>
        {
            active.TryRemove(masterId, out Task? _);
            Wake();
        }, TaskScheduler.Default);
    }

    private async Task RunMasterAsync(long campaignId, long cmId, CampaignRequest request, CancellationToken ct)
    {
        try
        {
            await RunMasterCoreAsync(campaignId, cmId, request, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Wrangler is stopping: the step stays Running in the database and is reconciled on the next start.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Campaign {Campaign}: master run {Master} crashed", campaignId, cmId);
        }
    }

    private async Task RunMasterCoreAsync(long campaignId, long cmId, CampaignRequest request, CancellationToken ct)
    {
        CampaignMasterRecord cm;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            cm = await db.CampaignMasters.AsNoTracking().Include(x => x.Steps).FirstAsync(x => x.Id == cmId, ct);
        }

        var info = inventory.Masters.FirstOrDefault(m => m.Name == cm.Master);
        var actor = "wrangler";
        var lastProgress = DateTimeOffset.MinValue;
        var context = info is null ? null : new StepContext(campaignId, cmId, info, request.Kind, request.Policy, actor,
            async line =>
            {
                campaigns.ReportProgress(campaignId, cm.Master, line);
                if (time.GetUtcNow() - lastProgress > TimeSpan.FromSeconds(1))
                {
                    lastProgress = time.GetUtcNow();
                    await SetStepDetailAsync(campaignId, cmId, line, ct);
                }
            },
            () => decisions.GetValueOrDefault(cmId));

        var ordered = cm.Steps.OrderBy(s => s.Seq).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var step = ordered[i];
            if (step.State is StepState.Succeeded or StepState.Skipped)
            {
                continue;
            }

            while (true)
            {
                await SetStepAsync(campaignId, cmId, step.Id, StepState.Running, null, MasterRunState.Running, null, ct);
                StepOutcome outcome;
                if (context is null)
                {
                    outcome = StepOutcome.Fail($"{cm.Master} is no longer in the inventory");
                }
                else
                {
                    try
                    {
                        outcome = await steps.RunAsync(step.Kind, context, ct);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        outcome = StepOutcome.Fail(ex.Message);
                    }
                }

                if (outcome.Succeeded)
                {
                    await SetStepAsync(campaignId, cmId, step.Id, StepState.Succeeded, outcome.Detail, MasterRunState.Running, null, ct);
                    if (decisions.GetValueOrDefault(cmId) is not null)
                    {
                        decisions[cmId] = null;
                        await ClearDecisionAsync(campaignId, cmId, keepEscalate: false, ct);
                    }

                    break;
                }

                // Held or failed: park this master and wait for a person (or an abort).
                var parked = outcome.Hold ? MasterRunState.Held : MasterRunState.Failed;
                await SetStepAsync(campaignId, cmId, step.Id, outcome.Hold ? StepState.Running : StepState.Failed, outcome.Detail, parked,
                    $"{step.Kind}: {outcome.Detail}", ct);
                if (!outcome.Hold && info is not null)
                {
                    monitor.SetCampaignStatus(info.Name, null, null);
                }

                await NotifyAsync(campaignId, outcome.Hold ? "held" : "masterFailed", ct, cm.Master, outcome.Detail);
                var decision = await WaitForDecisionAsync(campaignId, cmId, outcome.Hold, ct);
                if (decision is "skip" or "aborted")
                {
                    await UndoAsync(campaignId, cm.Master, ct);
                    await FinishMasterAsync(campaignId, cmId, decision == "skip" ? MasterRunState.Skipped : MasterRunState.Aborted,
                        decision == "skip" ? "skipped by a person after: " + outcome.Detail : "campaign aborted after: " + outcome.Detail, ct);
                    return;
                }

                // escalate or retry: clear the decision and run the step again (a drain sees "escalate" and hard stops).
                if (decision == "retry")
                {
                    decisions[cmId] = null;
                }

                await ClearDecisionAsync(campaignId, cmId, keepEscalate: decision == "escalate", ct);

                // A failed checkconfig put the checkouts back, so a retry must update them again first.
                if (decision == "retry" && step.Kind == StepKind.CheckConfig && i > 0 && ordered[i - 1].Kind == StepKind.UpdateRepos)
                {
                    ordered[i - 1].State = StepState.Pending;
                    i -= 2;
                    break;
                }
            }
        }

        await ClearDecisionAsync(campaignId, cmId, keepEscalate: false, ct);
        decisions.TryRemove(cmId, out _);
        if (info is not null)
        {
            monitor.SetCampaignStatus(info.Name, null, null);
            _ = monitor.RefreshAsync(info.Name, CancellationToken.None);
        }

        await FinishMasterAsync(campaignId, cmId, MasterRunState.Succeeded, "done", ct);
    }

    private async Task<string> WaitForDecisionAsync(long campaignId, long cmId, bool held, CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), time, ct);
            await using var db = await dbs.CreateDbContextAsync(ct);
            var c = await db.Campaigns.AsNoTracking().FirstAsync(x => x.Id == campaignId, ct);
            var cm = await db.CampaignMasters.AsNoTracking().FirstAsync(x => x.Id == cmId, ct);
            if (cm.PendingDecision is { } d)
            {
                decisions[cmId] = d;
                return d;
            }

            // A failed master of an aborted campaign is cleaned up; a held drain goes on until a person escalates,
            // because the master is going down whatever we do.
            if (c.State == CampaignState.Aborted && !held)
            {
                return "aborted";
            }
        }
    }

    private Task ClearDecisionAsync(long campaignId, long cmId, bool keepEscalate, CancellationToken ct) =>
        campaigns.UpdateAsync(campaignId, (_, rec) =>
        {
            var cm = rec.Masters.Single(x => x.Id == cmId);
            if (!keepEscalate)
            {
                cm.PendingDecision = null;
            }

            return Task.CompletedTask;
        }, ct);

    private Task SetStepAsync(long campaignId, long cmId, long stepId, StepState state, string? detail, MasterRunState masterState, string? masterDetail, CancellationToken ct) =>
        campaigns.UpdateAsync(campaignId, (_, rec) =>
        {
            var cm = rec.Masters.Single(x => x.Id == cmId);
            var s = cm.Steps.Single(x => x.Id == stepId);
            var now = time.GetUtcNow();
            if (state == StepState.Running && s.State != StepState.Running)
            {
                s.StartedAt ??= now;
            }

            if (state is StepState.Succeeded or StepState.Failed or StepState.Skipped)
            {
                s.EndedAt = now;
            }

            s.State = state;
            s.Detail = detail ?? s.Detail;
            cm.State = masterState;
            cm.StartedAt ??= now;
            cm.Detail = masterDetail;
            return Task.CompletedTask;
        }, ct);

    private Task SetStepDetailAsync(long campaignId, long cmId, string detail, CancellationToken ct) =>
        campaigns.UpdateAsync(campaignId, (_, rec) =>
        {
            var s = rec.Masters.Single(x => x.Id == cmId).Steps.Where(x => x.State == StepState.Running).OrderBy(x => x.Seq).FirstOrDefault();
            if (s is not null)
            {
                s.Detail = detail;
            }

            return Task.CompletedTask;
        }, ct);

    private Task FinishMasterAsync(long campaignId, long cmId, MasterRunState state, string detail, CancellationToken ct) =>
        campaigns.UpdateAsync(campaignId, (_, rec) =>
        {
            var cm = rec.Masters.Single(x => x.Id == cmId);
            cm.State = state;
            cm.Detail = detail;
            cm.EndedAt = time.GetUtcNow();
            cm.PendingDecision = null;
            foreach (var s in cm.Steps.Where(s => s.State is StepState.Pending or StepState.Running))
            {
                s.State = StepState.Skipped;
            }

            return Task.CompletedTask;
        }, ct);

    private async Task FinishIfDoneAsync(CampaignRecord c, CancellationToken ct)
    {
        var done = c.Masters.All(m => m.State is MasterRunState.Succeeded or MasterRunState.Skipped or MasterRunState.Aborted)
                   && c.Masters.All(m => !active.ContainsKey(m.Id));
        if (!done || c.State is CampaignState.Paused or CampaignState.Parked)
        {
            return;
        }

        string kind = "";
        await campaigns.UpdateAsync(c.Id, (db, rec) =>
        {
            if (rec.EndedAt is not null)
            {
                return Task.CompletedTask;
            }

            if (rec.State == CampaignState.Running)
            {
                rec.State = CampaignStates.Next(rec.State, CampaignCommand.Complete);
            }

            rec.EndedAt = time.GetUtcNow();
            var skipped = rec.Masters.Count(m => m.State == MasterRunState.Skipped);
            rec.StateDetail ??= $"{rec.Masters.Count(m => m.State == MasterRunState.Succeeded)} master(s) done" + (skipped > 0 ? $", {skipped} skipped" : "");
            kind = rec.State.ToString().ToLowerInvariant();
            db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = "wrangler", Kind = "campaign." + kind, Subject = $"campaign {c.Id}", Detail = rec.StateDetail });
            return Task.CompletedTask;
        }, ct);
        if (kind.Length > 0)
        {
            await campaigns.RefreshHistoryAsync(ct);
            await NotifyAsync(c.Id, kind, ct);
        }
    }

    /// <summary>Undoes what a campaign did to one master that it will not finish (skipped, aborted, swept).</summary>
    private async Task UndoAsync(long campaignId, string master, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var info = inventory.Masters.FirstOrDefault(m => m.Name == master);
        foreach (var e in await db.Ledger.Where(l => l.CampaignId == campaignId && l.Master == master && l.UndoneAt == null).OrderByDescending(l => l.Id).ToListAsync(ct))
        {
            if (info is null)
            {
                logger.LogWarning("Ledger entry {Id} ({Effect}) for {Master}, which left the inventory, cannot be undone", e.Id, e.Effect, master);
                continue;
            }

            try
            {
                switch (e.Effect)
                {
                    case LedgerEffect.LockCreated:
                        var r = await access.Host(info).RemoveLockAsync(ct);
                        if (!r.Succeeded)
                        {
                            throw new InvalidOperationException("removing reconfig.lock failed: " + r.Stderr);
                        }

                        break;
                    case LedgerEffect.AllocatorDisabled:
                        await allocator.EnableAsync(info, $"Wrangler campaign {campaignId}: undone", ct);
                        break;
                    case LedgerEffect.DowntimeScheduled:
                        await downtime.EndAsync(info, "wrangler", DowntimeHandle.TryParse(e.Detail), ct);
                        break;
                    case LedgerEffect.ReposUpdated when e.Detail is not null:
                        var back = await access.Host(info).RestoreReposAsync(StepRunner.ParseRevisions(e.Detail), ct: ct);
                        if (back.Any(r => !r.Succeeded))
                        {
                            throw new InvalidOperationException("putting checkouts back failed");
                        }

                        break;
                }

                e.UndoneAt = time.GetUtcNow();
                await db.SaveChangesAsync(ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Left open: the next start-up sweep tries again, and the page shows the open entry.
                logger.LogError(ex, "Undoing {Effect} on {Master} for campaign {Campaign} failed", e.Effect, master, campaignId);
            }
        }

        monitor.SetCampaignStatus(master, null, null);
    }

    /// <summary>Undoes every side effect of campaigns that are over, or whose master is no longer being worked on.</summary>
    private async Task SweepLedgerAsync(CancellationToken ct)
    {
        List<(long Campaign, string Master)> orphans;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            orphans = await db.Ledger.Where(l => l.UndoneAt == null)
                .Join(db.Campaigns, l => l.CampaignId, c => c.Id, (l, c) => new { l.CampaignId, l.Master, c.State })
                .Where(x => x.State == CampaignState.Succeeded || x.State == CampaignState.Failed || x.State == CampaignState.Aborted)
                .Select(x => new { x.CampaignId, x.Master })
                .Distinct()
                .ToListAsync(ct)
                .ContinueWith(t => t.Result.Select(x => (x.CampaignId, x.Master)).ToList(), ct);
        }

        foreach (var (campaign, master) in orphans)
        {
            logger.LogWarning("Sweeping side effects left by campaign {Campaign} on {Master}", campaign, master);
            await UndoAsync(campaign, master, ct);
        }
    }

    private async Task NotifyAsync(long campaignId, string kind, CancellationToken ct, string? master = null, string? detail = null)
    {
        var view = await campaigns.GetAsync(campaignId, ct);
        if (view is null)
        {
            return;
        }

        var details = new Dictionary<string, string>();
        if (master is not null)
        {
            details["master"] = master;
        }

        if (detail is not null)
        {
            details["detail"] = detail;
        }

        await notifier.NotifyAsync(new CampaignNotification(kind, campaignId, view.State.ToString(), view.StateDetail ?? $"{view.Kind} campaign {campaignId}", time.GetUtcNow(), details), ct);
    }
}
