using System.Collections.Immutable;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Sync;

/// <summary>What the production watcher sees and decided, for pages, the API and the Nagios check.</summary>
public sealed record SyncStatus(
    bool AutoReconfig,
    SyncDecision Decision,
    ImmutableArray<TipMove> Tips,
    FreezeView? Freeze,
    ImmutableDictionary<string, DateTimeOffset> BehindSince,
    ImmutableArray<string> Drifting,
    TimeSpan DriftAlarmAfter,
    LastAutoReconfig? Last,
    DateTimeOffset EvaluatedAt)
{
    public static SyncStatus Initial(bool auto, TimeSpan driftAfter, DateTimeOffset now) =>
        new(auto, new SyncDecision(SyncAction.InSync, "starting"), [], null, ImmutableDictionary<string, DateTimeOffset>.Empty.WithComparers(StringComparer.Ordinal), [], driftAfter, null, now);
}

/// <summary>
/// Follows production: reads the tips the fleet monitor already polls, notes when each moved, and once every repo
/// has been quiet for the quiet window (no freeze, CI green) starts a pre-approved reconfig of the masters behind.
/// It never tries the same tips twice after a failure, and it keeps the drift clock of every master that is behind.
/// The clock and the tips' times are stored (TipMoves, BehindSince), so a restart neither resets nor raises the drift
/// alarm. Only the leader acts and stores them; a follower reads the leader's clock and freeze on every tick (docs/ha.md).
/// </summary>
public sealed class ProductionWatcher(
    IFleetMonitor fleet,
    CampaignService campaigns,
    FreezeService freeze,
    CiStatus ci,
    ProductionLog log,
    IDbContextFactory<WranglerDb> dbs,
    IOptions<SyncOptions> options,
    Leases.LeaderLease lease,
    TimeProvider time,
    ILogger<ProductionWatcher> logger) : BackgroundService
{
    public const string Actor = "auto-reconfig";

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryAfterRefusal = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CiFor = TimeSpan.FromSeconds(10);

    private SyncStatus status = SyncStatus.Initial(options.Value.AutoReconfig, options.Value.DriftAlarmAfter, time.GetUtcNow());
    private LastAutoReconfig? last;
    private DateTimeOffset retryAt = DateTimeOffset.MinValue;
    private string? refusal;
    private (CiVerdict Verdict, string? Detail, DateTimeOffset At)? ciSeen;
    private int campaignsChanged = 1;
    private string signature = "";
    private string stored = "";
    private bool led;

    public SyncStatus Current => Volatile.Read(ref status);

    /// <summary>Raised when the decision, the drift, the freeze or the tips change. Handlers must not block.</summary>
    public event Action? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        campaigns.Changed += OnCampaignChanged;
        freeze.Changed += OnFreezeChanged;
        try
        {
            await freeze.GetAsync(stoppingToken);
            last = await LoadLastAsync(null, stoppingToken);
            using var ticker = new PeriodicTimer(Tick, time);
            do
            {
                try
                {
                    await TickAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Production watcher tick failed");
                }
            }
            while (await ticker.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            campaigns.Changed -= OnCampaignChanged;
            freeze.Changed -= OnFreezeChanged;
        }
    }

    private void OnCampaignChanged(long id) => Interlocked.Exchange(ref campaignsChanged, 1);

    private void OnFreezeChanged() => Interlocked.Exchange(ref campaignsChanged, 1);

    private async Task TickAsync(CancellationToken ct)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        var masters = fleet.Current.Masters;
        var leading = lease.IsLeader;
        if (!leading || !led)
        {
            // The leader keeps the clock, the freeze and the last auto-reconfig; a follower (and a new leader, once) reads them.
            await LoadClockAsync(ct);
            await freeze.ReloadAsync(ct);
            last = await LoadLastAsync(null, ct);
            led = leading;
        }

        var before = Current;
        if (Interlocked.Exchange(ref campaignsChanged, 0) == 1 && leading)
        {
            await log.RecordAsync(ct);
            if (last is not null)
            {
                last = await LoadLastAsync(last.CampaignId, ct);
            }
        }

        var tips = SyncRules.Track(before.Tips, SyncRules.TipsOf(masters), now);
        var behindSince = SyncRules.BehindSince(before.BehindSince, masters, now);
        var drifting = SyncRules.Drifting(behindSince, now, o.DriftAlarmAfter);
        var ciNow = string.IsNullOrWhiteSpace(o.CiStatusUrl) ? CiVerdict.NotConfigured
            : ciSeen is { } seen && now - seen.At < CiFor ? seen.Verdict : CiVerdict.NotChecked;
        SyncInputs Inputs(CiVerdict v) => new(now, o.AutoReconfig, o.QuietWindow, tips, freeze.Current, masters, last, v, ciSeen?.Detail);
        var decision = SyncRules.Decide(Inputs(ciNow));
        if (decision.Action == SyncAction.NeedCi)
        {
            var (verdict, detail) = await ci.CheckAsync(ct);
            ciSeen = (verdict, detail, now);
            decision = SyncRules.Decide(Inputs(verdict));
        }

        if (decision.Action is SyncAction.Start or SyncAction.Supersede && !leading)
        {
            decision = decision with { Reason = $"{decision.Reason}; {lease.Current.LeaderText} acts on it (this instance follows)" };
        }
        else if (decision.Action is SyncAction.Start or SyncAction.Supersede && now < retryAt)
        {
            decision = decision with { Action = SyncAction.Busy, Reason = $"{decision.Reason}; waiting to retry: {refusal}" };
        }
        else if (decision.Action == SyncAction.Start)
        {
            decision = await StartAsync(decision, tips, now, ct);
        }
        else if (decision.Action == SyncAction.Supersede && decision.Campaign is { } parked)
        {
            await SupersedeAsync(parked, now, ct);
        }

        var next = new SyncStatus(o.AutoReconfig, decision, tips, freeze.Current, behindSince, drifting, o.DriftAlarmAfter, last, now);
        Volatile.Write(ref status, next);
        if (leading)
        {
            await StoreClockAsync(tips, behindSince, ct);
        }

        var sig = string.Join('|', decision.Action, decision.Reason, SyncRules.TipsKey(tips), string.Join(',', drifting), string.Join(',', behindSince.Keys.Order(StringComparer.Ordinal)),
            freeze.Current?.Id, last?.CampaignId, last?.State);
        if (sig != signature)
        {
            signature = sig;
            if (decision.Action != before.Decision.Action)
            {
                logger.LogInformation("Auto-reconfig: {Action}: {Reason}", decision.Action, decision.Reason);
            }

            Changed?.Invoke();
        }
    }

    private async Task<SyncDecision> StartAsync(SyncDecision decision, ImmutableArray<TipMove> tips, DateTimeOffset now, CancellationToken ct)
    {
        var o = options.Value;
        var request = new CampaignRequest(
            CampaignKind.Reconfig,
            new Selector { Names = decision.Masters, OutOfSyncOnly = true },
            new CampaignPolicy { PerBucket = o.Policy.PerBucket, MaxParallel = o.Policy.MaxParallel, FailureThreshold = o.Policy.FailureThreshold, Approval = ApprovalMode.None },
            Clip("production moved: " + string.Join(", ", tips.Select(t => $"{t.Repo} {Short(t.Revision)}"))));
        try
        {
            var view = await campaigns.CreateAsync(request, Actor, ct);
            var key = SyncRules.TipsKey(tips);
            await using (var db = await dbs.CreateDbContextAsync(ct))
            {
                db.AutoReconfigs.Add(new AutoReconfigRecord { CampaignId = view.Id, Tips = key, CreatedAt = now });
                await db.SaveChangesAsync(ct);
            }

            last = new LastAutoReconfig(view.Id, key, view.State, view.StateDetail, [.. view.Masters.Select(m => m.Name)]);
            refusal = null;
            logger.LogInformation("Auto-reconfig started campaign {Campaign} for {Masters}", view.Id, string.Join(", ", last.Masters));
            return new SyncDecision(SyncAction.Busy, $"started campaign {view.Id}", Campaign: view.Id);
        }
        catch (CampaignRefusedException ex)
        {
            // Another campaign holds some of these masters (409), or the plan left nobody (400): try again shortly.
            refusal = ex.Message;
            retryAt = now + RetryAfterRefusal;
            return decision with { Action = SyncAction.Busy, Reason = "cannot start yet: " + ex.Message };
        }
    }

    private async Task SupersedeAsync(long parked, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            await campaigns.CommandAsync(parked, CampaignCommand.Abort, Actor, "superseded: production moved on to new tips", ct);
        }
        catch (CampaignRefusedException ex)
        {
            refusal = ex.Message;
        }

        // The runner cleans the aborted campaign's failed masters up first; until then a new campaign would be refused.
        retryAt = now + TimeSpan.FromSeconds(1);
        last = last is null ? null : await LoadLastAsync(last.CampaignId, ct);
    }

    /// <summary>The stored tips and drift clock, as the last leader left them.</summary>
    private async Task LoadClockAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var tips = await db.TipMoves.AsNoTracking().ToListAsync(ct);
        var behind = await db.BehindSince.AsNoTracking().ToListAsync(ct);
        ImmutableArray<TipMove> t = [.. tips.Select(r => new TipMove(r.Repo, r.Branch, r.Revision, r.MovedAt))
            .OrderBy(x => x.Repo, StringComparer.Ordinal).ThenBy(x => x.Branch, StringComparer.Ordinal)];
        var b = behind.ToImmutableDictionary(r => r.Master, r => r.Since, StringComparer.Ordinal);
        stored = ClockKey(t, b);
        Volatile.Write(ref status, Current with { Tips = t, BehindSince = b });
    }

    /// <summary>Writes the tips and the drift clock when they changed: rarely (a tip moves, a master falls behind or catches up).</summary>
    private async Task StoreClockAsync(ImmutableArray<TipMove> tips, ImmutableDictionary<string, DateTimeOffset> behind, CancellationToken ct)
    {
        var key = ClockKey(tips, behind);
        if (key == stored)
        {
            return;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.TipMoves.ExecuteDeleteAsync(ct);
        await db.BehindSince.ExecuteDeleteAsync(ct);
        db.TipMoves.AddRange(tips.Select(t => new TipMoveRecord { Repo = t.Repo, Branch = t.Branch, Revision = t.Revision, MovedAt = t.MovedAt }));
        db.BehindSince.AddRange(behind.Select(kv => new BehindSinceRecord { Master = kv.Key, Since = kv.Value }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        stored = key;
    }

    private static string ClockKey(ImmutableArray<TipMove> tips, ImmutableDictionary<string, DateTimeOffset> behind) =>
        string.Join('\n', tips.Select(t => $"{t.Repo}@{t.Branch}={t.Revision}@{t.MovedAt.UtcTicks}"))
        + "|" + string.Join('\n', behind.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value.UtcTicks}"));

    /// <summary>The campaign auto-reconfig started last (or the given one), as it stands now.</summary>
    private async Task<LastAutoReconfig?> LoadLastAsync(long? id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = id is { } want
            ? await db.AutoReconfigs.AsNoTracking().FirstOrDefaultAsync(a => a.CampaignId == want, ct)
            : await db.AutoReconfigs.AsNoTracking().OrderByDescending(a => a.CampaignId).FirstOrDefaultAsync(ct);
        if (row is null)
        {
            return null;
        }

        var c = await db.Campaigns.AsNoTracking().Include(x => x.Masters).FirstOrDefaultAsync(x => x.Id == row.CampaignId, ct);
        return c is null ? null : new LastAutoReconfig(c.Id, row.Tips, c.State, c.StateDetail, [.. c.Masters.Select(m => m.Master)]);
    }

    private static string Short(string rev) => rev.Length > 12 ? rev[..12] : rev;

    // A campaign reason is at most InputRules.MaxReason characters (docs/hardening.md); many repos moving at once must not exceed it.
    private static string Clip(string reason) => reason.Length <= Input.InputRules.MaxReason ? reason : reason[..(Input.InputRules.MaxReason - 1)] + "…";
}
