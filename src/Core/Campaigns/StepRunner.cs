using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;
using Wrangler.Core.Integrations;
using Wrangler.Core.Persistence;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Campaigns;

/// <summary>How a step ended. <see cref="Hold"/> parks the master for a person (a drain past its timeout).</summary>
public sealed record StepOutcome(bool Succeeded, string Detail, bool Hold = false)
{
    public static StepOutcome Ok(string detail) => new(true, detail);

    public static StepOutcome Fail(string detail) => new(false, detail);
}

/// <summary>Everything one master's steps need to know about the run they are part of.</summary>
public sealed record StepContext(
    long CampaignId,
    long CampaignMasterId,
    MasterInfo Master,
    CampaignKind Kind,
    CampaignPolicy Policy,
    string Actor,
    Func<string, Task> Progress,
    Func<MasterDecision?> Decision);

/// <summary>
/// Runs one step against one master. Every side effect is written to the ledger before it is made, so whatever
/// happens next (a crash, an abort) it can be undone. Steps are written to be safe to run again after a crash:
/// a drain or start that already happened is recognised from the master's state, never repeated.
/// </summary>
public sealed class StepRunner(
    IFleetAccess access,
    IFleetMonitor monitor,
    IAllocator allocator,
    IMonitoringDowntime downtime,
    IDbContextFactory<WranglerDb> dbs,
    StepOutputLog output,
    IRepoTips tips,
    TimeProvider time)
{
    /// <summary>How often a drain or a verify is looked at when the master's events say nothing (<see cref="StepWake"/>).</summary>
    public static TimeSpan WatchEvery { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a started master may take to answer and get its workers back.</summary>
    public static TimeSpan VerifyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public async Task<StepOutcome> RunAsync(StepKind kind, StepContext c, CancellationToken ct)
    {
        var host = access.Host(c.Master);
        var api = access.Api(c.Master);
        var sink = output.Sink(c.CampaignId, c.Master.Name, kind);
        switch (kind)
        {
            case StepKind.PreCheck:
                return await PreCheckAsync(c, host, api, sink, ct);
            case StepKind.DisableInAllocator:
                if (!allocator.IsConfigured)
                {
                    return StepOutcome.Ok("no allocator configured");
                }

                await RecordAsync(c, LedgerEffect.AllocatorDisabled, "disabled in the allocator", ct);
                await allocator.DisableAsync(c.Master, $"Wrangler campaign {c.CampaignId}: {c.Kind} by {c.Actor}", ct);
                return StepOutcome.Ok("disabled in the allocator");
            case StepKind.ScheduleDowntime:
                if (!downtime.IsConfigured)
                {
                    return StepOutcome.Ok("no monitoring configured");
                }

                var length = c.Policy.DrainTimeout + VerifyTimeout + TimeSpan.FromMinutes(30);

                // The comment names campaign and master so the downtime can be found again, and told from a person's.
                var comment = $"Wrangler campaign {c.CampaignId}: {c.Kind} of {c.Master.Name}";
                await RecordAsync(c, LedgerEffect.DowntimeScheduled, new DowntimeHandle(comment, [], "").Serialize(), ct);
                var handle = await downtime.ScheduleAsync(c.Master, length, c.Actor, comment, ct);
                await SetLedgerDetailAsync(c, LedgerEffect.DowntimeScheduled, handle.Serialize(), ct);
                return StepOutcome.Ok($"downtime scheduled for {(int)length.TotalMinutes} min; {handle.Detail}");
            case StepKind.CreateLock:
                await RecordAsync(c, LedgerEffect.LockCreated, c.Master.ReconfigLockPath, ct);
                return Expect(await host.CreateLockAsync(ct), "reconfig.lock created");
            case StepKind.Drain:
                return await DrainAsync(c, host, api, sink, ct);
            case StepKind.HardStop:
                return await HardStopAsync(c, host, sink, ct);
            case StepKind.Start:
                return await StartAsync(c, host, sink, ct);
            case StepKind.Reboot:
                monitor.SetCampaignStatus(c.Master.Name, MasterStatus.Starting, $"campaign {c.CampaignId}: rebooting");
                return Expect(await host.RebootAsync(sink, ct), "reboot command sent");
            case StepKind.WaitForHost:
                return await WaitForHostAsync(c, host, sink, ct);
            case StepKind.UpdateRepos:
                var current = await host.GetFactsAsync(0, ct);
                var previous = string.Join('\n', current.Repos.Where(r => r.Revision is not null).Select(r => $"{r.Name}={r.Revision!.TrimEnd('+')}"));
                await RecordAsync(c, LedgerEffect.ReposUpdated, previous, ct);
                var updates = await host.UpdateReposAsync(sink, ct);
                var failed = updates.Where(u => !u.Succeeded).ToList();
                var summary = UpdateSummary(updates);
                return failed.Count == 0 ? StepOutcome.Ok(summary) : StepOutcome.Fail("update failed: " + string.Join("; ", failed.Select(f => $"{f.Name}: {Last(f.Output)}")));
            case StepKind.CheckConfig:
                var check = await host.CheckConfigAsync(sink, ct);
                if (check.IsGood)
                {
                    return StepOutcome.Ok("checkconfig passed");
                }

                // A config that does not check must not stay on disk: the next restart would load it.
                var restored = await RestoreReposAsync(c, host, sink, ct);
                return StepOutcome.Fail("checkconfig failed: " + Last(check.Output, 6) + (restored is null ? "" : $"; checkouts put back ({restored})"));
            case StepKind.Reconfig:
                monitor.SetCampaignStatus(c.Master.Name, MasterStatus.Reconfiguring, $"campaign {c.CampaignId}: reconfiguring");
                var reconfig = await host.ReconfigAsync(TimeSpan.FromMinutes(5), sink, ct);
                if (reconfig.Succeeded)
                {
                    // The new revisions are now what the master runs: nothing to put back any more. Until this line
                    // the open ledger entry is what tells /api/v1/revisions/live the master still runs the old ones;
                    // the facts are read first so that the step is recorded as done right after the entry closes.
                    var now = await host.GetFactsAsync(0, ct);
                    await UndoneAsync(c, LedgerEffect.ReposUpdated, ct);
                    return StepOutcome.Ok(reconfig.Message + "; running " + string.Join(", ", now.Repos.Select(r => $"{r.Name} {Short(r.Revision)}")));
                }

                return StepOutcome.Fail($"reconfig {reconfig.Outcome}: {reconfig.Message}");
            case StepKind.Verify:
                return await VerifyAsync(c, host, api, ct);
            case StepKind.RemoveLock:
                var removed = await host.RemoveLockAsync(ct);
                if (removed.Succeeded)
                {
                    await UndoneAsync(c, LedgerEffect.LockCreated, ct);
                }

                return Expect(removed, "reconfig.lock removed");
            case StepKind.EnableInAllocator:
                if (allocator.IsConfigured)
                {
                    await allocator.EnableAsync(c.Master, $"Wrangler campaign {c.CampaignId} done", ct);
                    await UndoneAsync(c, LedgerEffect.AllocatorDisabled, ct);
                }

                return StepOutcome.Ok(allocator.IsConfigured ? "enabled in the allocator" : "no allocator configured");
            case StepKind.EndDowntime:
                var ended = "no monitoring configured";
                if (downtime.IsConfigured)
                {
                    ended = await downtime.EndAsync(c.Master, c.Actor, DowntimeHandle.TryParse(await LedgerDetailAsync(c, LedgerEffect.DowntimeScheduled, ct)), ct);
                    await UndoneAsync(c, LedgerEffect.DowntimeScheduled, ct);
                }

                monitor.SetCampaignStatus(c.Master.Name, null, null);
                return StepOutcome.Ok(ended);
            default:
                return StepOutcome.Fail($"step {kind} is not implemented");
        }
    }

    private async Task<StepOutcome> PreCheckAsync(StepContext c, IMasterHost host, IBuildbotApi api, Action<string> sink, CancellationToken ct)
    {
        var facts = await host.GetFactsAsync(5, ct);
        if (facts.Errors.Count > 0)
        {
            return StepOutcome.Fail("host check failed: " + string.Join("; ", facts.Errors));
        }

        if (facts.ProcessAlive)
        {
            try
            {
                var workers = await api.GetWorkersAsync(ct);
                var connected = workers.Count(w => w.IsConnected);
                await SetWorkersBeforeAsync(c, connected, ct);
            }
            catch (BuildbotApiException ex)
            {
                return StepOutcome.Fail("the REST API does not answer: " + ex.Message);
            }
        }

        var check = await host.CheckConfigAsync(sink, ct);
        if (!check.IsGood)
        {
            return StepOutcome.Fail("checkconfig failed, nothing was touched: " + Last(check.Output, 6));
        }

        return StepOutcome.Ok($"ssh ok ({facts.Elapsed.TotalMilliseconds:0} ms), {(facts.ProcessAlive ? "running" : "not running")}, checkconfig passed");
    }

    private async Task<StepOutcome> DrainAsync(StepContext c, IMasterHost host, IBuildbotApi api, Action<string> sink, CancellationToken ct)
    {
        if (c.Master.Role == MasterRole.Scheduler)
        {
            return await HardStopAsync(c, host, sink, ct);
        }

        var facts = await host.GetFactsAsync(40, ct);
        if (!facts.ProcessAlive)
        {
            return StepOutcome.Ok("already stopped");
        }

        // Listening before the signal, so the last build's end and the stream closing are not missed.
        await using var wake = new StepWake(api, "builds/*/*", host, time, ct);

        // After a crash the signal may already have been sent: the log of this process says so. A second SIGUSR1 is
        // harmless to Buildbot, but not sending it keeps "stopped exactly once" true and visible.
        var draining = TwistdLogParser.ParseAll(facts.LogTail, time.GetUtcNow())
            .Any(e => e.Kind == MasterLogEventKind.CleanShutdownInitiated && (facts.ProcessStartedAt is null || e.At >= facts.ProcessStartedAt.Value.AddSeconds(-2)));
        if (!draining)
        {
            var sent = await host.GracefulStopAsync(sink, ct);
            if (!sent.Succeeded)
            {
                return StepOutcome.Fail("could not start the clean shutdown: " + Last(sent.Stderr + sent.Stdout));
            }
        }

        var started = time.GetUtcNow();
        var escalated = false;
        while (true)
        {
            monitor.SetCampaignStatus(c.Master.Name, MasterStatus.Draining, $"campaign {c.CampaignId}: draining");
            facts = await host.GetFactsAsync(5, ct);
            if (!facts.ProcessAlive)
            {
                return StepOutcome.Ok($"drained in {Span(time.GetUtcNow() - started)}");
            }

            string builds;
            try
            {
                var running = await api.GetRunningBuildsAsync(ct);
                var now = time.GetUtcNow();
                builds = running.Count == 0
                    ? "no builds left, shutting down"
                    : $"{running.Count} build(s) running: " + string.Join(", ", running.Take(5).Select(b => $"{b.BuilderName} #{b.Number} ({Span(now - (b.StartedAt ?? now))})"));
            }
            catch (BuildbotApiException)
            {
                builds = "REST API not answering (shutting down)";
            }

            var waited = time.GetUtcNow() - started;
            var decision = c.Decision();
            if (decision == MasterDecision.Escalate && !escalated)
            {
                escalated = true;
                await c.Progress($"escalated by a person after {Span(waited)}: hard stop");
                return await HardStopAsync(c, host, sink, ct, "escalated: ");
            }

            if (waited >= c.Policy.DrainTimeout)
            {
                if (c.Policy.OnDrainTimeout == DrainTimeoutAction.HardStop)
                {
                    await c.Progress($"drain timed out after {Span(waited)} ({builds}); policy: hard stop");
                    return await HardStopAsync(c, host, sink, ct, $"drain timed out after {Span(waited)}; ");
                }

                return new StepOutcome(false, $"drain timed out after {Span(waited)} (limit {Span(c.Policy.DrainTimeout)}); {builds}. Escalate to hard stop, or wait.", Hold: true);
            }

            await c.Progress($"draining for {Span(waited)} of {Span(c.Policy.DrainTimeout)}; {builds}");
            await wake.WaitAsync(WatchEvery, ct);
        }
    }

    private async Task<StepOutcome> HardStopAsync(StepContext c, IMasterHost host, Action<string> sink, CancellationToken ct, string prefix = "")
    {
        monitor.SetCampaignStatus(c.Master.Name, MasterStatus.Draining, $"campaign {c.CampaignId}: stopping");
        var facts = await host.GetFactsAsync(5, ct);
        if (!facts.ProcessAlive)
        {
            return StepOutcome.Ok(prefix + "already stopped");
        }

        var r = await host.HardStopAsync(sink, ct);
        return Expect(r, prefix + "stopped (running builds cancelled)");
    }

    private async Task<StepOutcome> StartAsync(StepContext c, IMasterHost host, Action<string> sink, CancellationToken ct)
    {
        monitor.SetCampaignStatus(c.Master.Name, MasterStatus.Starting, $"campaign {c.CampaignId}: starting");
        var facts = await host.GetFactsAsync(5, ct);
        if (facts.ProcessAlive)
        {
            return StepOutcome.Ok("already running");
        }

        var r = await host.StartAsync(sink, ct);
        return r.Succeeded ? StepOutcome.Ok("started") : StepOutcome.Fail("start failed: " + Last(r.Stdout + "\n" + r.Stderr, 6));
    }

    private async Task<StepOutcome> WaitForHostAsync(StepContext c, IMasterHost host, Action<string> sink, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        while (time.GetUtcNow() - started < VerifyTimeout + TimeSpan.FromMinutes(10))
        {
            try
            {
                var facts = await host.GetFactsAsync(5, ct);
                if (facts.HostUptime is { } up && up < time.GetUtcNow() - started + TimeSpan.FromMinutes(1))
                {
                    var how = "its init started the master";
                    if (!facts.ProcessAlive)
                    {
                        how = "master started";
                        var r = await host.StartAsync(sink, ct);

                        // The host's own init may have started it meanwhile: then our start fails, and that is fine.
                        if (!r.Succeeded && !(await host.GetFactsAsync(0, ct)).ProcessAlive)
                        {
                            return StepOutcome.Fail("host is back but the master did not start: " + Last(r.Stdout + r.Stderr));
                        }
                    }

                    return StepOutcome.Ok($"host back after {Span(time.GetUtcNow() - started)} (uptime {Span(up)}); {how}");
                }

                await c.Progress("waiting for the host to go down and come back");
            }
            catch (SshException ex)
            {
                await c.Progress($"host not answering yet ({Span(time.GetUtcNow() - started)}): {ex.Kind}");
            }

            await Task.Delay(WatchEvery, time, ct);
        }

        return StepOutcome.Fail("the host did not come back in time");
    }

    private async Task<StepOutcome> VerifyAsync(StepContext c, IMasterHost host, IBuildbotApi api, CancellationToken ct)
    {
        int? before;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            before = (await db.CampaignMasters.FindAsync([c.CampaignMasterId], ct))?.WorkersBefore;
        }

        var started = time.GetUtcNow();
        var last = "";
        var sawRunning = false;
        await using var wake = new StepWake(api, "workers/*/*", host, time, ct);
        while (time.GetUtcNow() - started < VerifyTimeout)
        {
            var facts = await host.GetFactsAsync(200, ct);
            if (!facts.ProcessAlive)
            {
                return StepOutcome.Fail("the master process is not running");
            }

            // Only this process's lines count; "BuildMaster is running" may scroll out of the tail later, so remember it.
            var events = TwistdLogParser.ParseAll(facts.LogTail, time.GetUtcNow())
                .Where(e => facts.ProcessStartedAt is null || e.At >= facts.ProcessStartedAt.Value.AddSeconds(-2))
                .ToList();
            if (events.LastOrDefault(e => e.Kind is MasterLogEventKind.StartupFailed) is { } failed)
            {
                return StepOutcome.Fail("startup failed: " + failed.Line);
            }

            sawRunning |= c.Kind == CampaignKind.Reconfig
                          ? events.Any(e => e.Kind == MasterLogEventKind.ReconfigComplete)
                          : events.Any(e => e.Kind == MasterLogEventKind.Started);
            try
            {
                var workers = await api.GetWorkersAsync(ct);
                var connected = workers.Count(w => w.IsConnected);
                var want = before ?? 0;
                var atTip = "";
                if (sawRunning && connected >= want && c.Kind == CampaignKind.Reconfig)
                {
                    _ = await monitor.RefreshAsync(c.Master.Name, ct);
                    var (behind, moved) = await AgainstTipsAsync(c, facts, ct);
                    if (behind.Count > 0)
                    {
                        return StepOutcome.Fail("reconfigured, but not at the production tip read from the upstream now, nor at the revision the update went to: " + string.Join("; ", behind));
                    }

                    atTip = moved.Count == 0 ? "; at the production tip (read from the upstream now)" : "; at the revision the update went to, but the tip has moved since: " + string.Join("; ", moved);
                }

                if (sawRunning && connected >= want)
                {
                    return StepOutcome.Ok($"REST answers, \"{(c.Kind == CampaignKind.Reconfig ? "configuration update complete" : "BuildMaster is running")}\" logged, {connected} worker(s) connected (before: {want})" + atTip);
                }

                last = (sawRunning ? "" : "no \"BuildMaster is running\" in twistd.log yet; ") + $"{connected} of {want} worker(s) back";
            }
            catch (BuildbotApiException ex)
            {
                last = "REST API not answering yet: " + ex.Message;
            }

            await c.Progress("verifying: " + last);
            await wake.WaitAsync(WatchEvery, ct);
        }

        return StepOutcome.Fail($"not verified within {Span(VerifyTimeout)}: {last}");
    }

    /// <summary>
    /// Each checkout against the production tip read from its upstream now (a push a second ago counts), and, where
    /// it differs, against the revision this campaign's update step went to: behind is at neither, moved is at the
    /// update's revision while the tip went on (a push during the reconfig; the next reconfig takes it).
    /// </summary>
    private async Task<(List<string> Behind, List<string> Moved)> AgainstTipsAsync(StepContext c, HostFacts facts, CancellationToken ct)
    {
        var fresh = await tips.GetTipsAsync([.. c.Master.Repos.Select(r => (r.Name, r.Branch))], ct);
        string? updateDetail;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            updateDetail = await db.Steps.AsNoTracking()
                .Where(s => s.CampaignMasterId == c.CampaignMasterId && s.Kind == StepKind.UpdateRepos)
                .Select(s => s.Detail).FirstOrDefaultAsync(ct);
        }

        var wentTo = Sync.ProductionLog.ParseUpdate(updateDetail).ToDictionary(u => u.Repo, u => u.After);
        var (behind, moved) = (new List<string>(), new List<string>());
        foreach (var repo in c.Master.Repos)
        {
            var at = facts.Repos.FirstOrDefault(r => r.Name == repo.Name)?.Revision?.TrimEnd('+');
            if (!fresh.TryGetValue((repo.Name, repo.Branch), out var tip) || Same(at, tip))
            {
                continue; // an upstream that cannot be read now says nothing against the master
            }

            if (wentTo.TryGetValue(repo.Name, out var after) && Same(at, after))
            {
                moved.Add($"{repo.Name} at {Short(at)}, tip now {Short(tip)}");
            }
            else
            {
                behind.Add($"{repo.Name} at {Short(at)}, tip {Short(tip)}");
            }
        }

        return (behind, moved);
    }

    // hg prints 12 hex digits, git 40: a prefix either way is the same revision.
    private static bool Same(string? a, string? b) =>
        a is { Length: > 0 } && b is { Length: > 0 }
        && (a.StartsWith(b, StringComparison.OrdinalIgnoreCase) || b.StartsWith(a, StringComparison.OrdinalIgnoreCase));

    /// <summary>Puts checkouts back to the revisions the ledger recorded before an update; returns what was done, or null.</summary>
    public async Task<string?> RestoreReposAsync(StepContext c, IMasterHost host, Action<string>? sink, CancellationToken ct)
    {
        LedgerEntryRecord? entry;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            entry = await db.Ledger.AsNoTracking().FirstOrDefaultAsync(l => l.CampaignId == c.CampaignId && l.Master == c.Master.Name && l.Effect == LedgerEffect.ReposUpdated && l.UndoneAt == null, ct);
        }

        if (entry?.Detail is null)
        {
            return null;
        }

        var revisions = ParseRevisions(entry.Detail);
        var results = await host.RestoreReposAsync(revisions, sink, ct);
        if (results.Any(r => !r.Succeeded))
        {
            throw new InvalidOperationException("putting checkouts back failed: " + string.Join("; ", results.Where(r => !r.Succeeded).Select(r => $"{r.Name}: {Last(r.Output)}")));
        }

        await UndoneAsync(c, LedgerEffect.ReposUpdated, ct);
        return string.Join(", ", results.Select(r => $"{r.Name} {Short(r.After)}"));
    }

    public static IReadOnlyDictionary<string, string> ParseRevisions(string detail) =>
        detail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);

    private async Task SetWorkersBeforeAsync(StepContext c, int connected, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var cm = await db.CampaignMasters.FindAsync([c.CampaignMasterId], ct);
        if (cm is not null && cm.WorkersBefore is null)
        {
            cm.WorkersBefore = connected;
            await db.SaveChangesAsync(ct);
        }
    }

    private async Task RecordAsync(StepContext c, LedgerEffect effect, string detail, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var open = await db.Ledger.AnyAsync(l => l.CampaignId == c.CampaignId && l.Master == c.Master.Name && l.Effect == effect && l.UndoneAt == null, ct);
        if (!open)
        {
            db.Ledger.Add(new LedgerEntryRecord { CampaignId = c.CampaignId, Master = c.Master.Name, Effect = effect, CreatedAt = time.GetUtcNow(), Detail = detail });
            await db.SaveChangesAsync(ct);
        }
    }

    private async Task SetLedgerDetailAsync(StepContext c, LedgerEffect effect, string detail, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        foreach (var e in await db.Ledger.Where(l => l.CampaignId == c.CampaignId && l.Master == c.Master.Name && l.Effect == effect && l.UndoneAt == null).ToListAsync(ct))
        {
            e.Detail = detail;
        }

        await db.SaveChangesAsync(ct);
    }

    private async Task<string?> LedgerDetailAsync(StepContext c, LedgerEffect effect, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Ledger.AsNoTracking()
            .Where(l => l.CampaignId == c.CampaignId && l.Master == c.Master.Name && l.Effect == effect && l.UndoneAt == null)
            .OrderByDescending(l => l.Id).Select(l => l.Detail).FirstOrDefaultAsync(ct);
    }

    private async Task UndoneAsync(StepContext c, LedgerEffect effect, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        foreach (var e in await db.Ledger.Where(l => l.CampaignId == c.CampaignId && l.Master == c.Master.Name && l.Effect == effect && l.UndoneAt == null).ToListAsync(ct))
        {
            e.UndoneAt = time.GetUtcNow();
        }

        await db.SaveChangesAsync(ct);
    }

    private static StepOutcome Expect(RemoteResult r, string ok) =>
        r.Succeeded ? StepOutcome.Ok(ok) : StepOutcome.Fail($"exit {r.ExitCode}: {Last(r.Stderr.Length > 0 ? r.Stderr : r.Stdout)}");

    /// <summary>The update step's detail; the production log reads each repo's before → after back from it (ProductionLog.ParseUpdate).</summary>
    public static string UpdateSummary(IEnumerable<RepoUpdateResult> updates) =>
        string.Join("; ", updates.Select(u => $"{u.Name} {Short(u.Before)} → {Short(u.After)}"));

    private static string Short(string? rev) => rev is null ? "?" : rev.Length > 12 ? rev[..12] : rev;

    public static string Span(TimeSpan t) =>
        t.TotalSeconds < 90 ? $"{Math.Max(0, t.TotalSeconds):0}s" : t.TotalMinutes < 90 ? $"{t.TotalMinutes:0}m {t.Seconds}s" : $"{(int)t.TotalHours}h {t.Minutes}m";

    private static string Last(string text, int lines = 2) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(lines));
}
