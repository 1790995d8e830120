using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Input;
using Wrangler.Core.Integrations;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Scheduling;

/// <summary>
/// Schedules: stored in Wrangler's tables (the definition, who approved it), mirrored into Quartz (the trigger, its
/// calendar of excluded dates). Every change by a person is audited; a change makes that person the schedule's owner,
/// whose approval every campaign it fires carries.
/// </summary>
public sealed class ScheduleService(
    IDbContextFactory<WranglerDb> dbs,
    CampaignService campaigns,
    INotifier notifier,
    IOptions<SchedulingOptions> options,
    Leases.LeaderLease lease,
    TimeProvider time,
    ILogger<ScheduleService> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private IScheduler? scheduler;

    /// <summary>Raised after any change to a schedule or to the excluded dates.</summary>
    public event Action? Changed;

    public SchedulePreview Preview(string? cron, string? zone, int count = 5)
    {
        var problems = new[] { ScheduleRules.CronProblem(cron), ScheduleRules.ZoneProblem(zone) }.OfType<string>().ToImmutableArray();
        if (problems.Length == 0 && ScheduleRules.IntervalProblem(cron!, zone!, options.Value.MinInterval) is { } interval)
        {
            problems = [interval];
        }

        if (problems.Length > 0)
        {
            return new SchedulePreview(cron is null || cron.Length > ScheduleRules.MaxCron ? "" : CronText.Describe(cron), [], problems);
        }

        List<DateOnly> excluded;
        using (var db = dbs.CreateDbContext())
        {
            excluded = [.. db.ExcludedDates.AsNoTracking().Select(d => d.Date)];
        }

        return new SchedulePreview(CronText.Describe(cron!), ScheduleRules.NextFireTimes(cron!, zone!, excluded, time.GetUtcNow(), Math.Clamp(count, 1, 50)), []);
    }

    public async Task<IReadOnlyList<ScheduleView>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var records = await db.Schedules.AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct);
        var excluded = await db.ExcludedDates.AsNoTracking().Select(d => d.Date).ToListAsync(ct);
        var runs = await RunsAsync(db, null, ct);
        return [.. records.Select(r => View(r, excluded, runs.GetValueOrDefault(r.Id, [])))];
    }

    public async Task<ScheduleView?> GetAsync(long id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var r = await db.Schedules.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (r is null)
        {
            return null;
        }

        var excluded = await db.ExcludedDates.AsNoTracking().Select(d => d.Date).ToListAsync(ct);
        return View(r, excluded, (await RunsAsync(db, id, ct)).GetValueOrDefault(id, []));
    }

    public async Task<ScheduleView> CreateAsync(ScheduleSpec spec, string actor, CancellationToken ct)
    {
        EnsureLeading();
        var asked = time.GetUtcNow();
        spec = Checked(spec, asked);
        long id;
        await gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            await RefuseDuplicateAsync(db, spec.Name, null, ct);
            var now = time.GetUtcNow();
            var r = new ScheduleRecord
            {
                Name = spec.Name,
                NameKey = InputRules.NameKey(spec.Name),
                Kind = spec.Kind,
                RequestJson = JsonSerializer.Serialize(ScheduleRules.ToRequest(spec), CampaignService.Json),
                Cron = spec.Cron,
                TimeZone = spec.TimeZone,
                Window = spec.Window,
                Misfire = spec.Misfire,
                Enabled = spec.Enabled,
                Owner = actor,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Schedules.Add(r);
            await db.SaveChangesAsync(ct);
            id = r.Id;
            db.AuditEvents.Add(Audit(actor, "schedule.created", id, $"{spec.Name}: {Describe(r)}"));
            await db.SaveChangesAsync(ct);
            await ApplyAsync(db, r, asked, ct);
        }
        finally
        {
            gate.Release();
        }

        Changed?.Invoke();
        return (await GetAsync(id, ct))!;
    }

    public async Task<ScheduleView> UpdateAsync(long id, ScheduleSpec spec, string actor, CancellationToken ct)
    {
        EnsureLeading();
        var asked = time.GetUtcNow();
        spec = Checked(spec, asked);
        await ChangeAsync(id, actor, asked, "schedule.updated", async (db, r) =>
        {
            await RefuseDuplicateAsync(db, spec.Name, id, ct);
            var before = Describe(r);
            r.Name = spec.Name;
            r.NameKey = InputRules.NameKey(spec.Name);
            r.Kind = spec.Kind;
            r.RequestJson = JsonSerializer.Serialize(ScheduleRules.ToRequest(spec), CampaignService.Json);
            r.Cron = spec.Cron;
            r.TimeZone = spec.TimeZone;
            r.Window = spec.Window;
            r.Misfire = spec.Misfire;
            r.Enabled = spec.Enabled;
            r.Owner = actor;
            return $"{spec.Name}: {before} → {Describe(r)}";
        }, ct);
        return (await GetAsync(id, ct))!;
    }

    public async Task<ScheduleView> SetEnabledAsync(long id, bool enabled, string actor, CancellationToken ct)
    {
        EnsureLeading();
        await ChangeAsync(id, actor, time.GetUtcNow(), enabled ? "schedule.enabled" : "schedule.disabled", (_, r) =>
        {
            var was = r.Enabled;
            r.Enabled = enabled;

            // Turning a schedule back on approves its future runs: the person who does it becomes the owner.
            if (enabled)
            {
                r.Owner = actor;
            }

            return Task.FromResult(was == enabled ? $"{r.Name}: already {(enabled ? "enabled" : "disabled")}; nothing changed" : r.Name);
        }, ct);
        return (await GetAsync(id, ct))!;
    }

    public async Task DeleteAsync(long id, string actor, CancellationToken ct)
    {
        EnsureLeading();
        await gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var r = await db.Schedules.FirstOrDefaultAsync(s => s.Id == id, ct) ?? throw new ScheduleRefusedException($"no schedule {id}", 404);
            db.Schedules.Remove(r);
            db.AuditEvents.Add(Audit(actor, "schedule.deleted", id, $"{r.Name}: {Describe(r)}"));
            await db.SaveChangesAsync(ct);
            if (scheduler is { } s)
            {
                await s.DeleteJob(ScheduleJob.Key(id), ct);
                await s.DeleteCalendar(ScheduleJob.CalendarName(id), ct);
            }
        }
        finally
        {
            gate.Release();
        }

        Changed?.Invoke();
    }

    /// <summary>Starts the schedule's campaign now, approved by the person who asked, with the schedule's window from now.</summary>
    public async Task<CampaignView> RunNowAsync(long id, string actor, CancellationToken ct)
    {
        ScheduleRecord r;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            r = await db.Schedules.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) ?? throw new ScheduleRefusedException($"no schedule {id}", 404);
            db.AuditEvents.Add(Audit(actor, "schedule.run", id, $"{r.Name}: run now"));
            await db.SaveChangesAsync(ct);
        }

        var request = JsonSerializer.Deserialize<CampaignRequest>(r.RequestJson, CampaignService.Json)!;
        try
        {
            var v = await campaigns.CreateAsync(request, $"schedule {r.Name} (run now)", ct, new CampaignOrigin(id, actor, time.GetUtcNow() + r.Window));
            Changed?.Invoke();
            return v;
        }
        catch (CampaignRefusedException ex)
        {
            throw new ScheduleRefusedException($"schedule {r.Name}: {ex.Message}", ex.StatusCode);
        }
    }

    /// <summary>A Quartz fire: decide (window, misfire policy, excluded dates), then start the pre-approved campaign or say why not.</summary>
    public async Task FireAsync(long id, DateTimeOffset scheduled, CancellationToken ct)
    {
        ScheduleRecord? r;
        List<DateOnly> excluded;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            r = await db.Schedules.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
            excluded = await db.ExcludedDates.AsNoTracking().Select(d => d.Date).ToListAsync(ct);
        }

        if (r is null || !r.Enabled)
        {
            logger.LogWarning("Quartz fired schedule {Id}, which is {State}; ignored", id, r is null ? "gone" : "disabled");
            return;
        }

        var now = time.GetUtcNow();
        var decision = ScheduleRules.Decide(r.Cron, r.TimeZone, excluded, r.Window, r.Misfire, options.Value.MisfireThreshold, scheduled, now);
        if (!decision.Run)
        {
            await RecordAsync(id, "schedule.skipped", $"{r.Name}: not run: {decision.Reason}", ct);
            await NotifyAsync("scheduleSkipped", 0, "", $"schedule {r.Name} did not run: {decision.Reason}", r, ct);
            return;
        }

        var request = JsonSerializer.Deserialize<CampaignRequest>(r.RequestJson, CampaignService.Json)!;
        try
        {
            var v = await campaigns.CreateAsync(request, $"schedule {r.Name}", ct, new CampaignOrigin(id, r.Owner, decision.NotAfter));
            await RecordAsync(id, "schedule.fired", $"{r.Name}: campaign {v.Id} for the fire time {decision.Occurrence:u} ({decision.Reason}); window until {decision.NotAfter:u}", ct);
        }
        catch (CampaignRefusedException ex)
        {
            // Unattended: nobody is there to read an error dialog, so it goes to the audit log and the webhook.
            await RecordAsync(id, "schedule.failed", $"{r.Name}: could not start its campaign: {ex.Message}", ct);
            await NotifyAsync("scheduleFailed", 0, "", $"schedule {r.Name} could not start its campaign: {ex.Message}", r, ct);
        }

        Changed?.Invoke();
    }

    internal async Task RecordMisfireAsync(long id, DateTimeOffset missed, bool skipped, CancellationToken ct)
    {
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var name = await db.Schedules.Where(s => s.Id == id).Select(s => s.Name).FirstOrDefaultAsync(ct) ?? $"#{id}";
            db.AuditEvents.Add(Audit("wrangler", "schedule.misfired", id,
                $"{name}: the fire time {missed:u} was missed (Wrangler was down or busy); " + (skipped ? "policy skip: left out, no catch-up" : "policy runLate: runs once, late, if its window is still open")));
            await db.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Recording a misfire of schedule {Id} failed", id);
        }

        Changed?.Invoke();
    }

    /// <summary>
    /// An unattended campaign stopped by itself (parked, failed, a held drain): say so once in the audit log and through
    /// the webhook, so buildduty sees it on Monday morning.
    /// </summary>
    internal async Task CheckStoppedAsync(long campaignId, CancellationToken ct)
    {
        // Called on every campaign change (each step, each progress line): a cheap look first, the whole campaign only
        // for a schedule's.
        await using (var probe = await dbs.CreateDbContextAsync(ct))
        {
            if (await probe.Campaigns.Where(c => c.Id == campaignId).Select(c => c.ScheduleId).FirstOrDefaultAsync(ct) is null)
            {
                return;
            }
        }

        var v = await campaigns.GetAsync(campaignId, ct);
        if (v?.ScheduleId is not { } scheduleId)
        {
            return;
        }

        var held = v.Masters.Where(m => m.State == MasterRunState.Held).Select(m => m.Name).ToList();
        var why = v.State switch
        {
            CampaignState.Parked => "parked: " + v.StateDetail,
            CampaignState.Failed => "failed: " + v.StateDetail,
            _ when held.Count > 0 => $"held: drain timeout on {string.Join(", ", held)} (policy hold); escalate or wait",
            _ => null,
        };
        if (why is null)
        {
            return;
        }

        var subject = $"campaign {campaignId}";
        await using var db = await dbs.CreateDbContextAsync(ct);
        var name = await db.Schedules.Where(s => s.Id == scheduleId).Select(s => s.Name).FirstOrDefaultAsync(ct) ?? $"#{scheduleId}";
        var detail = $"schedule {name}: unattended campaign {campaignId} stopped by itself, {why}";
        if (await db.AuditEvents.AnyAsync(e => e.Kind == "schedule.stopped" && e.Subject == subject && e.Detail == detail, ct))
        {
            return;
        }

        db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = "wrangler", Kind = "schedule.stopped", Subject = subject, Detail = detail });
        await db.SaveChangesAsync(ct);
        await notifier.NotifyAsync(new CampaignNotification("unattendedStopped", campaignId, v.State.ToString(), detail, time.GetUtcNow(),
            new Dictionary<string, string> { ["schedule"] = name, ["scheduleId"] = scheduleId.ToString(System.Globalization.CultureInfo.InvariantCulture) }), ct);
        Changed?.Invoke();
    }

    public async Task<IReadOnlyList<ExcludedDate>> ExcludedDatesAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return [.. (await db.ExcludedDates.AsNoTracking().OrderBy(d => d.Date).ToListAsync(ct)).Select(d => new ExcludedDate(d.Date, d.Reason, d.CreatedBy, d.CreatedAt))];
    }

    public async Task AddExcludedDateAsync(DateOnly date, string? reason, string actor, CancellationToken ct)
    {
        EnsureLeading();
        var why = reason?.Trim() ?? "";
        if (InputRules.ReasonProblem("reason", why, required: true, max: 200) is { } problem)
        {
            throw new ScheduleRefusedException($"{problem}, e.g. \"release freeze\"");
        }

        await ChangeDatesAsync(actor, async db =>
        {
            if (await db.ExcludedDates.AnyAsync(d => d.Date == date, ct))
            {
                throw new ScheduleRefusedException($"{date:yyyy-MM-dd} is already excluded", 409);
            }

            db.ExcludedDates.Add(new ExcludedDateRecord { Date = date, Reason = why, CreatedBy = actor, CreatedAt = time.GetUtcNow() });
            db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = actor, Kind = "schedule.excludedDate.added", Subject = $"{date:yyyy-MM-dd}", Detail = why });
        }, ct);
    }

    public async Task RemoveExcludedDateAsync(DateOnly date, string actor, CancellationToken ct)
    {
        EnsureLeading();
        await ChangeDatesAsync(actor, async db =>
        {
            var d = await db.ExcludedDates.FirstOrDefaultAsync(x => x.Date == date, ct) ?? throw new ScheduleRefusedException($"{date:yyyy-MM-dd} is not excluded", 404);
            db.ExcludedDates.Remove(d);
            db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = actor, Kind = "schedule.excludedDate.removed", Subject = $"{date:yyyy-MM-dd}", Detail = d.Reason });
        }, ct);
    }

    /// <summary>
    /// Called once by <see cref="ScheduleAttacher"/> before Quartz starts: adds triggers that are missing, removes those of
    /// deleted or disabled schedules, and leaves matching ones alone, so a trigger that misfired while Wrangler was down
    /// keeps its missed fire time for Quartz's misfire handling.
    /// </summary>
    // Only the leader's scheduler runs, and only it is attached: a change made on a follower would reach the
    // schedule's row but not the trigger (docs/ha.md).
    private void EnsureLeading() => lease.EnsureLeading(m => new ScheduleRefusedException(m, 503));

    internal async Task AttachAsync(IScheduler s, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            scheduler = s;
            await using var db = await dbs.CreateDbContextAsync(ct);
            var records = await db.Schedules.AsNoTracking().ToListAsync(ct);
            var wanted = records.Where(r => r.Enabled).Select(r => ScheduleJob.Key(r.Id)).ToHashSet();
            foreach (var key in await s.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(ScheduleJob.Group), ct))
            {
                if (!wanted.Contains(key))
                {
                    await s.DeleteJob(key, ct);
                }
            }

            foreach (var r in records.Where(r => r.Enabled))
            {
                if (await s.GetTrigger(ScheduleJob.TriggerKey(r.Id), ct) is ICronTrigger t && t.CronExpressionString == r.Cron && t.TimeZone.Id == r.TimeZone
                    && t.MisfireInstruction == Instruction(r.Misfire) && t.CalendarName == ScheduleJob.CalendarName(r.Id))
                {
                    if (await s.GetCalendar(ScheduleJob.CalendarName(r.Id), ct) is null)
                    {
                        // Dropped by QuartzSchemaUpgrade (or lost): put it back without touching the trigger.
                        var dates = await db.ExcludedDates.AsNoTracking().Select(d => d.Date).ToListAsync(ct);
                        await s.AddCalendar(ScheduleJob.CalendarName(r.Id), ScheduleRules.Calendar(r.TimeZone, dates), AddCalendarOptions.Replacing, ct);
                    }

                    continue;
                }

                await ApplyAsync(db, r, time.GetUtcNow(), ct);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task ChangeAsync(long id, string actor, DateTimeOffset asked, string kind, Func<WranglerDb, ScheduleRecord, Task<string>> change, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var r = await db.Schedules.FirstOrDefaultAsync(s => s.Id == id, ct) ?? throw new ScheduleRefusedException($"no schedule {id}", 404);
            var detail = await change(db, r);
            r.UpdatedAt = time.GetUtcNow();
            db.AuditEvents.Add(Audit(actor, kind, id, detail));
            await db.SaveChangesAsync(ct);
            await ApplyAsync(db, r, asked, ct);
        }
        finally
        {
            gate.Release();
        }

        Changed?.Invoke();
    }

    private async Task ChangeDatesAsync(string actor, Func<WranglerDb, Task> change, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            await change(db);
            await db.SaveChangesAsync(ct);
            var dates = await db.ExcludedDates.AsNoTracking().Select(d => d.Date).ToListAsync(ct);
            if (scheduler is { } s)
            {
                foreach (var r in await db.Schedules.AsNoTracking().Where(r => r.Enabled).ToListAsync(ct))
                {
                    await s.AddCalendar(ScheduleJob.CalendarName(r.Id), ScheduleRules.Calendar(r.TimeZone, dates), AddCalendarOptions.ReplacingAndUpdatingTriggers, ct);
                }
            }
        }
        finally
        {
            gate.Release();
        }

        Changed?.Invoke();
    }

    /// <summary>Puts one schedule's trigger and calendar into Quartz as stored (or takes them out when disabled).</summary>
    /// <param name="asked">
    /// When the change was asked for. A fire time between then and now passed while the save waited on the database
    /// (another instance's write, a loaded disk); Quartz will not take a trigger whose first time is past, so that fire
    /// gets a one-off trigger of its own, now, and <see cref="FireAsync"/> treats it as any late fire (the misfire
    /// policy, the window). A start or take-over passes its own now: the fires missed while no scheduler ran are
    /// Quartz's misfire handling of the stored trigger.
    /// </param>
    private async Task ApplyAsync(WranglerDb db, ScheduleRecord r, DateTimeOffset asked, CancellationToken ct)
    {
        if (scheduler is not { } s)
        {
            return; // not started yet: AttachAsync applies every schedule
        }

        if (!r.Enabled)
        {
            await s.DeleteJob(ScheduleJob.Key(r.Id), ct);
            await s.DeleteCalendar(ScheduleJob.CalendarName(r.Id), ct);
            return;
        }

        var dates = await db.ExcludedDates.AsNoTracking().Select(d => d.Date).ToListAsync(ct);
        var now = time.GetUtcNow();
        DateTimeOffset? passed = ScheduleRules.NextFireTimes(r.Cron, r.TimeZone, dates, asked, 1) is [var first] && first <= now ? first : null;
        var ahead = !ScheduleRules.NextFireTimes(r.Cron, r.TimeZone, dates, now, 1).IsEmpty;
        if (!ahead)
        {
            // A one-off cron (it names a year) that has fired, or one whose every time left is an excluded date. Quartz
            // refuses such a trigger with an exception, which at start-up or on a take-over would stop the whole host.
            await s.DeleteJob(ScheduleJob.Key(r.Id), ct);
            if (passed is null)
            {
                logger.LogInformation("Schedule {Id} ({Name}) has no fire time left; it stays stored and fires no more", r.Id, r.Name);
                return;
            }
        }

        await s.AddCalendar(ScheduleJob.CalendarName(r.Id), ScheduleRules.Calendar(r.TimeZone, dates), AddCalendarOptions.Replacing, ct);
        var job = JobBuilder.Create<ScheduleJob>().WithIdentity(ScheduleJob.Key(r.Id)).WithDescription(r.Name).Build();
        if (ahead)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(r.TimeZone);
            var trigger = TriggerBuilder.Create(time)
                .WithIdentity(ScheduleJob.TriggerKey(r.Id))
                .ForJob(job)
                .WithCronSchedule(r.Cron, b =>
                {
                    b.InTimeZone(zone);
                    b.WithMisfireInstruction(Instruction(r.Misfire));
                })
                .WithCalendarName(ScheduleJob.CalendarName(r.Id))
                .StartAt(now)
                .Build();
            await s.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
        }

        if (passed is { } late)
        {
            var once = TriggerBuilder.Create(time)
                .WithIdentity(ScheduleJob.PassedTriggerKey(r.Id))
                .ForJob(job)
                .UsingJobData(ScheduleJob.ScheduledKey, late.ToString("O", CultureInfo.InvariantCulture))
                .WithSimpleSchedule(b => b.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
                .StartAt(now)
                .Build();
            await s.ScheduleJob(job, once, ScheduleJobOptions.Replacing, ct);
        }
    }

    private static CronTriggerMisfireInstruction Instruction(MisfirePolicy p) => p == MisfirePolicy.Skip ? CronTriggerMisfireInstruction.DoNothing : CronTriggerMisfireInstruction.FireAndProceed;

    private ScheduleSpec Checked(ScheduleSpec spec, DateTimeOffset asked)
    {
        var problems = ScheduleRules.Validate(spec, options.Value.MinInterval).ToList();
        if (problems.Count == 0 && ScheduleRules.NextFireTimes(spec.Cron.Trim(), spec.TimeZone.Trim(), [], asked, 1).IsEmpty)
        {
            problems.Add($"cron \"{spec.Cron.Trim()}\" has no fire time left after {asked:u}");
        }

        if (problems.Count > 0)
        {
            throw new ScheduleRefusedException(string.Join("; ", problems));
        }

        return spec with { Name = spec.Name.Trim(), Cron = spec.Cron.Trim(), TimeZone = spec.TimeZone.Trim() };
    }

    private static async Task RefuseDuplicateAsync(WranglerDb db, string name, long? id, CancellationToken ct)
    {
        var key = InputRules.NameKey(name);
        if (await db.Schedules.Where(s => s.NameKey == key && s.Id != id).Select(s => s.Name).FirstOrDefaultAsync(ct) is { } taken)
        {
            throw new ScheduleRefusedException(taken == name
                ? $"name: a schedule named \"{name}\" already exists"
                : $"name: \"{name}\" differs only in case from the schedule \"{taken}\"; names are unique without regard to case", 409);
        }
    }

    private async Task RecordAsync(long id, string kind, string detail, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.AuditEvents.Add(Audit("wrangler", kind, id, detail));
        await db.SaveChangesAsync(ct);
    }

    private Task NotifyAsync(string kind, long campaignId, string state, string summary, ScheduleRecord r, CancellationToken ct) =>
        notifier.NotifyAsync(new CampaignNotification(kind, campaignId, state, summary, time.GetUtcNow(),
            new Dictionary<string, string> { ["schedule"] = r.Name, ["scheduleId"] = r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }), ct);

    private AuditEvent Audit(string actor, string kind, long id, string detail) =>
        new() { At = time.GetUtcNow(), Actor = actor, Kind = kind, Subject = $"schedule {id}", Detail = detail };

    private static string Describe(ScheduleRecord r) =>
        $"{r.Kind} \"{r.Cron}\" {r.TimeZone}, window {r.Window:c}, misfire {r.Misfire}, {(r.Enabled ? "enabled" : "disabled")}; request {r.RequestJson}";

    private static async Task<Dictionary<long, List<ScheduleRun>>> RunsAsync(WranglerDb db, long? id, CancellationToken ct)
    {
        var q = db.Campaigns.AsNoTracking().Include(c => c.Masters).Where(c => c.ScheduleId != null);
        if (id is { } one)
        {
            q = q.Where(c => c.ScheduleId == one);
        }

        var list = await q.OrderByDescending(c => c.Id).Take(500).ToListAsync(ct);
        return list.GroupBy(c => c.ScheduleId!.Value).ToDictionary(g => g.Key, g => g.Take(10).Select(c => new ScheduleRun(
            c.Id, c.State, c.StateDetail, c.CreatedAt, c.EndedAt, c.NotAfter,
            c.State is CampaignState.Parked or CampaignState.Failed ? c.State.ToString().ToLowerInvariant()
            : c.EndedAt is null && c.Masters.Any(m => m.State == MasterRunState.Held) ? "held: a drain is past its timeout on " + string.Join(", ", c.Masters.Where(m => m.State == MasterRunState.Held).Select(m => m.Master))
            : null)).ToList());
    }

    private ScheduleView View(ScheduleRecord r, IReadOnlyList<DateOnly> excluded, List<ScheduleRun> runs)
    {
        var request = JsonSerializer.Deserialize<CampaignRequest>(r.RequestJson, CampaignService.Json)!;
        return new ScheduleView(r.Id, r.Name, r.Kind, request.Selector, request.Policy, request.Reason, r.Cron, CronText.Describe(r.Cron), r.TimeZone, r.Window, r.Misfire,
            r.Enabled, r.Owner, r.CreatedAt, r.UpdatedAt,
            r.Enabled ? ScheduleRules.NextFireTimes(r.Cron, r.TimeZone, excluded, time.GetUtcNow(), 5) : [],
            [.. runs]);
    }
}
