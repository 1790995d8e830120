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
/// when Wrangler stopped, and undoes every ledger entry whose campaign is over. Only the instance holding the leader
/// lease runs it (docs/ha.md).
/// </summary>
public sealed class CampaignRunner(
    CampaignService campaigns,
    DecisionBoard decisions,
    StepRunner steps,
    IDbContextFactory<WranglerDb> dbs,
    IInventorySource inventory,
    IFleetMonitor monitor,
    IFleetAccess access,
    IAllocator allocator,
    IMonitoringDowntime downtime,
    INotifier notifier,
    Leases.LeaderLease lease,
    TimeProvider time,
    ILogger<CampaignRunner> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A pre-check run ahead (while the bucket's previous master was out of service) still counts when the master's
    /// turn comes within this long; an older one is run again, since the host or its config may have changed since.
    /// </summary>
    public static TimeSpan PreCheckFreshFor { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Off only in the makespan benchmark (tests/Bench/Makespan.cs), to measure what running them ahead gains.</summary>
    public static bool RunPreChecksAhead { get; set; } = true;

    private readonly ConcurrentDictionary<long, Task> active = new();
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
        // A follower runs nothing; once it leads, it picks up what the last leader left exactly as a restart does.
        try
        {
            await lease.WhenLeadingAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

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
            open = await db.Campaigns.AsNoTracking().Include(c => c.Masters).ThenInclude(m => m.Steps.Where(s => s.Kind == StepKind.PreCheck))
                .Where(c => c.State == CampaignState.Running || c.State == CampaignState.Paused || c.State == CampaignState.Parked || c.State == CampaignState.Aborted && c.EndedAt == null)
                .ToListAsync(ct);
        }

        foreach (var c in open)
        {
            var request = System.Text.Json.JsonSerializer.Deserialize<CampaignRequest>(c.RequestJson, CampaignService.Json)!;

            // Masters that were in flight (this run or before a restart) always get a task: they must finish cleanly.
            foreach (var m in c.Masters.Where(m => CampaignStates.IsInFlight(m.State)))
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
                    rec.Apply(CampaignCommand.Park);
                    rec.StateDetail = $"{failed.Count} master(s) failed (threshold {request.Policy.FailureThreshold}): "
                                      + string.Join("; ", failed.Select(f => $"{f.Master}: {f.Detail}")) + ". Retry or skip them, then resume; or abort.";
                    db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = "wrangler", Kind = "campaign.parked", Subject = $"campaign {c.Id}", Detail = rec.StateDetail });
                }

                return Task.CompletedTask;
            }, ct);
            await NotifyAsync(c.Id, "parked", ct);
            return;
        }

        var inFlight = c.Masters.Count(m => CampaignStates.IsInFlight(m.State));
        var starting = new List<CampaignMasterRecord>();
        var now = time.GetUtcNow();

        // Each bucket summed up once per look: a look at a 1,000-master campaign went through every master's bucket
        // for every pending master, and a hand-over waits for the look (docs/performance.md, "Makespan, 2026-12-04").
        var buckets = c.Masters.GroupBy(m => m.Bucket).ToDictionary(g => g.Key, g => new BucketLook(
            g.Count(x => CampaignStates.IsInFlight(x.State)),
            g.Any(x => x.State is MasterRunState.Failed or MasterRunState.Held),
            g.Where(x => x.State is MasterRunState.Pending or MasterRunState.Running).Select(x => (int?)x.Wave).Min()));
        foreach (var m in c.Masters.Where(m => m.State == MasterRunState.Pending).OrderBy(m => m.Wave).ThenBy(m => m.Slot))
        {
            if (inFlight >= request.Policy.MaxParallel || m.Wave > c.ApprovedThroughWave)
            {
                break;
            }

            // Its pre-check, run ahead, is still under way; it starts on the tick after.
            if (active.ContainsKey(m.Id))
            {
                continue;
            }

            // A failed or held master stops its bucket; earlier slots of the bucket must be done first.
            var bucket = buckets[m.Bucket];
            if (bucket.InFlight >= request.Policy.PerBucket || bucket.Stopped || bucket.EarliestActiveWave < m.Wave)
            {
                continue;
            }

            m.Apply(MasterCommand.Start, now, null);
            bucket.InFlight++;
            inFlight++;
            starting.Add(m);
        }

        // All the masters this look starts, in one write: at a campaign's start that is one per bucket, and the last
        // bucket's first master must not wait for every other bucket's write to start.
        if (starting.Count > 0)
        {
            await campaigns.UpdateMastersAsync(c.Id, [.. starting.Select(m => m.Id)], rec => rec.Apply(MasterCommand.Start, now, null), ct);
            foreach (var m in starting)
            {
                Launch(c.Id, m.Id, request, ct);
            }
        }

        if (RunPreChecksAhead)
        {
            PreCheckAhead(c, request, ct);
        }
    }

    /// <summary>
    /// The next masters of each bucket (as many as it may have out of service at once) run their pre-check while the
    /// bucket's current ones are out of service, so their turn starts with the first step that has an effect. A
    /// pre-check takes nothing out of service, so the master stays pending; see docs/campaigns.md.
    /// </summary>
    private void PreCheckAhead(CampaignRecord c, CampaignRequest request, CancellationToken ct)
    {
        foreach (var bucket in c.Masters.GroupBy(m => m.Bucket))
        {
            if (bucket.Any(x => x.State is MasterRunState.Failed or MasterRunState.Held))
            {
                continue;
            }

            var next = bucket.Where(m => m.State == MasterRunState.Pending && m.Wave <= c.ApprovedThroughWave)
                .OrderBy(m => m.Wave).ThenBy(m => m.Slot).Take(request.Policy.PerBucket);
            foreach (var m in next)
            {
                // One that has gone half stale during a long drain runs again, so it is still fresh at the turn.
                var pre = m.Steps.FirstOrDefault(s => s.Kind == StepKind.PreCheck);
                var stale = pre is { State: StepState.Succeeded } && pre.EndedAt < time.GetUtcNow() - PreCheckFreshFor / 2;
                if (pre is not null && (pre.State == StepState.Pending || stale) && !active.ContainsKey(m.Id))
                {
                    Track(m.Id, () => PreCheckAheadAsync(c.Id, m.Id, m.Master, pre.Id, request, ct));
                }
            }
        }
    }

    private async Task PreCheckAheadAsync(long campaignId, long cmId, string master, long stepId, CampaignRequest request, CancellationToken ct)
    {
        var info = inventory.Masters.FirstOrDefault(m => m.Name == master);
        if (info is null)
        {
            return; // its own turn says so
        }

        try
        {
            var started = false;
            await campaigns.UpdateMasterAsync(campaignId, cmId, m =>
            {
                // An abort or a closing window may have left it out since the tick that chose it.
                var step = Step(m, stepId);
                if (m.State != MasterRunState.Pending || step.State is not (StepState.Pending or StepState.Succeeded))
                {
                    return;
                }

                if (step.State == StepState.Succeeded)
                {
                    step.Apply(StepCommand.Retry, time.GetUtcNow());
                    (step.StartedAt, step.EndedAt) = (null, null);
                }

                step.Apply(StepCommand.Start, time.GetUtcNow());
                started = true;
            }, ct);
            if (!started)
            {
                return;
            }

            var context = new StepContext(campaignId, cmId, info, request.Kind, request.Policy, "wrangler",
                line =>
                {
                    campaigns.ReportProgress(campaignId, master, line);
                    return Task.CompletedTask;
                },
                () => null);
            var outcome = await RunStepAsync(StepKind.PreCheck, context, master, ct);
            await campaigns.UpdateMasterAsync(campaignId, cmId, m =>
            {
                var step = Step(m, stepId);
                if (step.State != StepState.Running)
                {
                    return;
                }

                // A failure here is news for a person, not a failed master: the master was not touched, the bucket's
                // current master carries on, and this check runs again when this master's turn comes.
                if (outcome.Succeeded)
                {
                    step.Apply(StepCommand.Succeed, time.GetUtcNow(), outcome.Detail + " (run ahead)");
                }
                else
                {
                    step.Apply(StepCommand.Fail, time.GetUtcNow(), outcome.Detail + " (run ahead; it runs again when this master's turn comes)");
                }
            }, ct);
            if (!outcome.Succeeded)
            {
                logger.LogWarning("Campaign {Campaign}: the pre-check of {Master}, run ahead, failed: {Detail}", campaignId, master, outcome.Detail);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: the step stays as it is; the master's own turn runs it again.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Campaign {Campaign}: the pre-check of {Master}, run ahead, crashed", campaignId, master);
        }
    }

    /// <summary>A schedule's window closed: masters not yet started are skipped (named), in-flight ones finish.</summary>
    private async Task CutOffAsync(CampaignRecord c, DateTimeOffset notAfter, CancellationToken ct)
    {
        var skipped = new List<string>();
        var now = time.GetUtcNow();
        var why = $"not started: the window closed at {notAfter:u}";
        await campaigns.UpdateAsync(c.Id, (db, rec) =>
        {
            foreach (var m in rec.Masters.Where(m => m.State == MasterRunState.Pending))
            {
                m.Apply(MasterCommand.Skip, now, why);
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
            m.Apply(MasterCommand.Skip, now, why);
        }

        if (skipped.Count > 0)
        {
            await NotifyAsync(c.Id, "windowClosed", ct, detail: "skipped: " + string.Join(", ", skipped));
        }
    }

    private void Launch(long campaignId, long masterId, CampaignRequest request, CancellationToken ct) =>
        Track(masterId, () => RunMasterAsync(campaignId, masterId, request, ct));

    /// <summary>Runs one task per master at most: its run, or its pre-check run ahead.</summary>
    private void Track(long masterId, Func<Task> work)
    {
        if (active.ContainsKey(masterId))
        {
            return;
        }

        var task = Task.Run(work, CancellationToken.None);
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
        // A local copy that every change below is applied to as well as to the database, through the same guarded
        // methods, so the two cannot drift apart without an exception saying so.
        CampaignMasterRecord cm;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            cm = await db.CampaignMasters.AsNoTracking().Include(x => x.Steps).FirstAsync(x => x.Id == cmId, ct);
        }

        // A look at the campaign read before this master's last task ended can launch it again: one that is over has
        // nothing left to run. Without this, a skipped master (its failed step still failed) waited for a decision
        // that never comes, and its task kept the campaign from ending (docs/performance.md, 1,000 masters).
        if (CampaignStates.IsTerminal(cm.State))
        {
            return;
        }

        // The record: a decision taken before a restart is still honoured.
        if (cm.PendingDecision is { } stored)
        {
            decisions.Post(cmId, stored);
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
            () => decisions.Peek(cmId));

        // A step's success is written with the next change of this master (the next step's start, or the master's
        // end), in one write instead of two: nothing is awaited between the two, so it is the same state at the same
        // moment, and a hand-over between steps waits for one turn of CampaignService's gate, not two.
        Action<CampaignMasterRecord>? succeeded = null;
        Task Change(Action<CampaignMasterRecord, DateTimeOffset> change)
        {
            var carried = succeeded;
            succeeded = null;
            return ChangeAsync(campaignId, cm, (m, now) =>
            {
                carried?.Invoke(m);
                change(m, now);
            }, ct);
        }

        var ordered = cm.Steps.OrderBy(s => s.Seq).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var step = ordered[i];
            // A pre-check run ahead that failed, or passed too long ago, is run again now that it is this master's turn.
            if (step.Kind == StepKind.PreCheck && cm.State != MasterRunState.Failed
                && (step.State == StepState.Failed
                    || (step.State == StepState.Succeeded && ordered.Skip(i + 1).All(s => s.State == StepState.Pending) && step.EndedAt < time.GetUtcNow() - PreCheckFreshFor)))
            {
                await Change((m, now) =>
                {
                    // Its times become this run's: the page and the makespan figures show when the check really ran.
                    var s = Step(m, step.Id);
                    s.Apply(StepCommand.Retry, now);
                    (s.StartedAt, s.EndedAt) = (null, null);
                });
            }

            if (step.State is StepState.Succeeded or StepState.Skipped)
            {
                continue;
            }

            // After a restart a failed step still waits for its person; it is not run again by itself.
            var waitFirst = step.State == StepState.Failed;
            while (true)
            {
                StepOutcome outcome;
                if (waitFirst)
                {
                    waitFirst = false;
                    outcome = StepOutcome.Fail(step.Detail ?? "failed");
                }
                else
                {
                    await Change((m, now) =>
                    {
                        Step(m, step.Id).Apply(StepCommand.Start, now);
                        m.Apply(MasterCommand.Start, now, null);
                    });
                    outcome = await RunStepAsync(step.Kind, context, cm.Master, ct);
                    if (outcome.Succeeded)
                    {
                        var (stepId, endedAt, detail) = (step.Id, time.GetUtcNow(), outcome.Detail);
                        succeeded = m =>
                        {
                            Step(m, stepId).Apply(StepCommand.Succeed, endedAt, detail);

                            // An escalation has been acted on once the step it was for is over.
                            m.PendingDecision = null;
                        };
                        decisions.Post(cmId, null);
                        break;
                    }

                    // Held or failed: this master waits for a person (or, failed, an abort).
                    var why = $"{step.Kind}: {outcome.Detail}";
                    await Change((m, now) =>
                    {
                        if (outcome.Hold)
                        {
                            Step(m, step.Id).Detail = outcome.Detail;
                            m.Apply(MasterCommand.Hold, now, why);
                        }
                        else
                        {
                            Step(m, step.Id).Apply(StepCommand.Fail, now, outcome.Detail);
                            m.Apply(MasterCommand.Fail, now, why);
                        }
                    });
                    if (!outcome.Hold && info is not null)
                    {
                        monitor.SetCampaignStatus(info.Name, null, null);
                    }

                    await NotifyAsync(campaignId, outcome.Hold ? "held" : "masterFailed", ct, cm.Master, outcome.Detail);
                }

                var decision = await WaitForDecisionAsync(campaignId, cm, ct);
                if (decision is null or MasterDecision.Skip)
                {
                    await UndoAsync(campaignId, cm.Master, ct);
                    var command = decision is null ? MasterCommand.Abort : MasterCommand.Skip;
                    var detail = decision is null ? "campaign aborted after: " + outcome.Detail : "skipped by a person after: " + outcome.Detail;
                    await FinishMasterAsync(campaignId, cm, command, detail, succeeded, ct);
                    return;
                }

                // Retry, or escalate: the step runs again (a drain sees the escalation and hard stops). A failed
                // checkconfig put the checkouts back, so its retry updates them again first.
                var redoUpdate = decision == MasterDecision.Retry && step.Kind == StepKind.CheckConfig && i > 0 && ordered[i - 1].Kind == StepKind.UpdateRepos;
                await Change((m, now) =>
                {
                    m.Apply(CampaignStates.CommandOf(decision.Value), now, null);
                    if (Step(m, step.Id).State == StepState.Failed)
                    {
                        Step(m, step.Id).Apply(StepCommand.Retry, now);
                    }

                    if (redoUpdate)
                    {
                        Step(m, ordered[i - 1].Id).Apply(StepCommand.Retry, now);
                    }

                    if (decision != MasterDecision.Escalate)
                    {
                        m.PendingDecision = null;
                    }
                });
                if (decision != MasterDecision.Escalate)
                {
                    decisions.Post(cmId, null);
                }

                if (redoUpdate)
                {
                    i -= 2;
                    break;
                }
            }
        }

        if (info is not null)
        {
            monitor.SetCampaignStatus(info.Name, null, null);
            _ = monitor.RefreshAsync(info.Name, CancellationToken.None);
        }

        // The last step's success and the master's end: one write, so the bucket's next master starts one turn sooner.
        await FinishMasterAsync(campaignId, cm, MasterCommand.Succeed, "done", succeeded, ct);
    }

    private async Task<StepOutcome> RunStepAsync(StepKind kind, StepContext? context, string master, CancellationToken ct)
    {
        if (context is null)
        {
            return StepOutcome.Fail($"{master} is no longer in the inventory");
        }

        try
        {
            return await steps.RunAsync(kind, context, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return StepOutcome.Fail(ex.Message);
        }
    }

    /// <summary>
    /// Waits for a person's decision on a held or failed master, delivered by the <see cref="DecisionBoard"/>; null
    /// when the campaign was aborted under a failed master (which is then cleaned up). A held drain goes on until a
    /// person escalates or says to keep waiting, abort or not, because the master is going down whatever we do.
    /// A decision that no longer fits the master (an escalation posted for a drain that then failed) is dropped.
    /// </summary>
    private async Task<MasterDecision?> WaitForDecisionAsync(long campaignId, CampaignMasterRecord cm, CancellationToken ct)
    {
        while (true)
        {
            var changed = decisions.Changed(cm.Id);
            if (decisions.Peek(cm.Id) is { } d)
            {
                if (CampaignStates.Can(cm.State, CampaignStates.CommandOf(d)))
                {
                    return d;
                }

                decisions.Post(cm.Id, null);
                await ChangeAsync(campaignId, cm, (m, _) => m.PendingDecision = null, ct);
                continue;
            }

            if (cm.State == MasterRunState.Failed)
            {
                await using var db = await dbs.CreateDbContextAsync(ct);
                if (await db.Campaigns.AnyAsync(x => x.Id == campaignId && x.State == CampaignState.Aborted, ct))
                {
                    return null;
                }
            }

            await changed.WaitAsync(ct);
        }
    }

    /// <summary>Applies one change to the master in the database and to the runner's own copy of it.</summary>
    private async Task ChangeAsync(long campaignId, CampaignMasterRecord local, Action<CampaignMasterRecord, DateTimeOffset> change, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await campaigns.UpdateMasterAsync(campaignId, local.Id, m => change(m, now), ct);
        change(local, now);
    }

    private static StepRecord Step(CampaignMasterRecord m, long stepId) => m.Steps.Single(x => x.Id == stepId);

    private Task SetStepDetailAsync(long campaignId, long cmId, string detail, CancellationToken ct) =>
        campaigns.UpdateMasterAsync(campaignId, cmId, m =>
        {
            var s = m.Steps.Where(x => x.State == StepState.Running).OrderBy(x => x.Seq).FirstOrDefault();
            if (s is not null)
            {
                s.Detail = detail;
            }
        }, ct);

    private async Task FinishMasterAsync(long campaignId, CampaignMasterRecord cm, MasterCommand command, string detail, Action<CampaignMasterRecord>? succeeded, CancellationToken ct)
    {
        await ChangeAsync(campaignId, cm, (m, now) =>
        {
            succeeded?.Invoke(m);
            foreach (var s in m.Steps.Where(s => s.State is StepState.Pending or StepState.Running))
            {
                s.Apply(StepCommand.Skip, now);
            }

            m.Apply(command, now, detail);
        }, ct);
        decisions.Forget(cm.Id);
    }

    private async Task FinishIfDoneAsync(CampaignRecord c, CancellationToken ct)
    {
        var done = c.Masters.All(m => CampaignStates.IsTerminal(m.State))
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
                rec.Apply(CampaignCommand.Complete);
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
                .Where(x => CampaignStates.TerminalCampaignStates.Contains(x.State))
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

/// <summary>One bucket of a campaign as one look of <see cref="CampaignRunner"/> sees it; starting a master keeps a pending-or-running wave, so only the count moves.</summary>
internal sealed class BucketLook(int inFlight, bool stopped, int? earliestActiveWave)
{
    public int InFlight { get; set; } = inFlight;

    public bool Stopped { get; } = stopped;

    public int? EarliestActiveWave { get; } = earliestActiveWave;
}
