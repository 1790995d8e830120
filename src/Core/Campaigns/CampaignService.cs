using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Fleet;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Campaigns;

/// <summary>
/// Everything a person or automation asks of campaigns: preview, create, approve, pause, resume, abort, decide.
/// Every state change goes through here, one at a time, so two operators clicking the same button get one effect.
/// </summary>
public sealed class CampaignService(IDbContextFactory<WranglerDb> dbs, IFleetMonitor fleet, IRepoTips tips, DecisionBoard decisions, Leases.LeaderLease lease, TimeProvider time)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly SemaphoreSlim gate = new(1, 1);
    private IReadOnlyDictionary<(string Master, CampaignKind Kind), TimeSpan> history = new Dictionary<(string, CampaignKind), TimeSpan>();

    /// <summary>Raised after any change to a campaign (state, a master, a step). Handlers must not block.</summary>
    public event Action<long>? Changed;

    /// <summary>Raised by the runner with the latest progress line of a master's current step.</summary>
    public event Action<long, string, string>? Progress;

    /// <summary>The runner waits on this to notice new work at once.</summary>
    public event Action? WorkAvailable;

    /// <summary>The plan on the last poll's view of the fleet: cheap, for a form that previews on every keystroke.</summary>
    public CampaignPlan Preview(CampaignRequest request) => Plan(request, fleet.Current.Masters);

    private CampaignPlan Plan(CampaignRequest request, IReadOnlyList<MasterState> masters)
    {
        request = request.Normalized();
        var problems = CampaignPlanner.Validate(request);
        if (problems.Count > 0)
        {
            throw new CampaignRefusedException(string.Join("; ", problems), 400);
        }

        return CampaignPlanner.Plan(request, masters, Volatile.Read(ref history));
    }

    /// <summary>
    /// The fleet with every checkout compared against the production tips read from the upstreams now, not at the
    /// last poll: a push a second ago must count when outOfSyncOnly picks the masters behind. A tip that cannot be
    /// read now keeps the poll's.
    /// </summary>
    private async Task<IReadOnlyList<MasterState>> WithFreshTipsAsync(IReadOnlyList<MasterState> masters, CancellationToken ct)
    {
        var wanted = masters.SelectMany(m => m.Repos.Select(r => (r.Name, r.Branch))).Distinct().ToList();
        var now = await tips.GetTipsAsync(wanted, ct);
        return [.. masters.Select(m => m with
        {
            Repos = [.. m.Repos.Select(r => now.TryGetValue((r.Name, r.Branch), out var tip) ? MasterObservation.WithTip(r, tip) : r)],
        })];
    }

    /// <summary>
    /// Only the leader changes campaigns: a decision taken on a follower would reach the database but not the leader's
    /// waiting master, which hears decisions in memory (docs/ha.md).
    /// </summary>
    private void EnsureLeading() => lease.EnsureLeading(m => new CampaignRefusedException(m, 503));

    /// <summary>
    /// Median time each master took per kind in past campaigns, for estimates. Read when campaigns are created or
    /// finish, so the form's preview (computed on every keystroke) never waits on the database.
    /// </summary>
    public async Task RefreshHistoryAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await db.CampaignMasters.AsNoTracking()
            .Where(m => m.State == MasterRunState.Succeeded && m.StartedAt != null && m.EndedAt != null)
            .Join(db.Campaigns, m => m.CampaignId, c => c.Id, (m, c) => new { m.Master, c.Kind, m.StartedAt, m.EndedAt })
            .OrderByDescending(x => x.EndedAt)
            .Take(5000)
            .ToListAsync(ct);
        var medians = rows
            .GroupBy(r => (r.Master, r.Kind))
            .ToDictionary(g => g.Key, g =>
            {
                var d = g.Select(r => r.EndedAt!.Value - r.StartedAt!.Value).Order().ToList();
                return d[d.Count / 2];
            });
        Volatile.Write(ref history, medians);
    }

    /// <param name="origin">Set by a schedule: its id, whose approval this is, and the end of its window.</param>
    public async Task<CampaignView> CreateAsync(CampaignRequest request, string actor, CancellationToken ct, CampaignOrigin? origin = null)
    {
        EnsureLeading();
        request = request.Normalized();
        await RefreshHistoryAsync(ct);
        var masters = fleet.Current.Masters;
        var plan = Plan(request, request.Selector.OutOfSyncOnly ? await WithFreshTipsAsync(masters, ct) : masters);
        if (plan.Waves.Length == 0)
        {
            throw new CampaignRefusedException("the selection has no master to act on" + (plan.Warnings.Length > 0 ? ": " + string.Join("; ", plan.Warnings) : "")
                + (plan.Excluded.Length > 0 ? "; excluded: " + string.Join("; ", plan.Excluded) : ""), 400);
        }

        await gate.WaitAsync(ct);
        long id;
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var names = plan.Waves.SelectMany(w => w).ToList();
            // Busy: in a campaign that is not over, or still being worked on by one that is (an aborted campaign
            // finishes its in-flight masters).
            var busy = await db.CampaignMasters
                .Where(m => names.Contains(m.Master))
                .Join(db.Campaigns, m => m.CampaignId, c => c.Id, (m, c) => new { m.Master, c.Id, c.Kind, c.State, MasterState = m.State })
                .Where(x => !CampaignStates.TerminalCampaignStates.Contains(x.State) || CampaignStates.InFlightMasterStates.Contains(x.MasterState))
                .ToListAsync(ct);
            if (busy.Count > 0)
            {
                throw new CampaignRefusedException(string.Join("; ", busy.GroupBy(b => b.Id)
                    .Select(g => $"campaign {g.Key} ({g.First().Kind}) is still active on {string.Join(", ", g.Select(b => b.Master))}")));
            }

            var now = time.GetUtcNow();
            var record = new CampaignRecord
            {
                Kind = request.Kind,
                RequestJson = JsonSerializer.Serialize(request, Json),
                PlanJson = JsonSerializer.Serialize(plan, Json),
                CreatedBy = actor,
                CreatedAt = now,
                Reason = request.Reason,
                ScheduleId = origin?.ScheduleId,
                NotAfter = origin?.NotAfter,
            };
            var bucketOf = fleet.Current.Masters.ToDictionary(m => m.Name, m => m.Master.Bucket);
            var slotInBucket = new Dictionary<string, int>();
            for (var w = 0; w < plan.Waves.Length; w++)
            {
                foreach (var name in plan.Waves[w])
                {
                    var bucket = bucketOf.GetValueOrDefault(name, "?");
                    var role = fleet.Find(name)?.Master.Role ?? MasterRole.Build;
                    var slot = slotInBucket[bucket] = slotInBucket.GetValueOrDefault(bucket, -1) + 1;
                    record.Masters.Add(new CampaignMasterRecord
                    {
                        Master = name,
                        Bucket = bucket,
                        Wave = w,
                        Slot = slot,
                        Steps = [.. CampaignStates.StepsFor(request.Kind, role).Select((k, i) => new StepRecord { Seq = i, Kind = k })],
                    });
                }
            }

            if (request.Policy.Approval == ApprovalMode.None)
            {
                record.Apply(CampaignCommand.Approve);
                record.ApprovedBy = origin?.ApprovedBy ?? actor;
                record.ApprovedAt = now;
                record.ApprovedThroughWave = int.MaxValue;
                record.StartedAt = now;
            }

            db.Campaigns.Add(record);
            await db.SaveChangesAsync(ct);
            id = record.Id;
            db.AuditEvents.Add(new AuditEvent
            {
                At = now,
                Actor = actor,
                Kind = "campaign.created",
                Subject = $"campaign {id}",
                Detail = $"{request.Kind} of {names.Count} master(s) in {plan.Waves.Length} wave(s)" + (request.Reason is null ? "" : $"; reason: {request.Reason}")
                         + (request.Policy.Approval == ApprovalMode.None ? "; pre-approved" : "")
                         + (origin is null ? "" : $" by {origin.ApprovedBy} (schedule {origin.ScheduleId})" + (origin.NotAfter is { } na ? $"; starts nothing after {na:u}" : "")),
            });
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            gate.Release();
        }

        Announce(id);
        return (await GetAsync(id, ct))!;
    }

    /// <summary>Approve, pause, resume or abort. A repeat of what already happened changes nothing and says so in the audit log.</summary>
    public async Task<CampaignView> CommandAsync(long id, CampaignCommand command, string actor, string? reason, CancellationToken ct)
    {
        EnsureLeading();
        var aborted = new List<long>();
        await gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var c = await db.Campaigns.FirstOrDefaultAsync(x => x.Id == id, ct) ?? throw new CampaignRefusedException($"no campaign {id}", 404);
            var before = c.State;
            var now = time.GetUtcNow();
            var waves = JsonSerializer.Deserialize<CampaignPlan>(c.PlanJson, Json)!.Waves.Length;
            var request = JsonSerializer.Deserialize<CampaignRequest>(c.RequestJson, Json)!;
            var note = "";
            if (command == CampaignCommand.Approve)
            {
                // Per-wave approval: a click releases the next wave only once every approved wave is over, so a double
                // click (or two operators) cannot release two waves.
                var waveOpen = request.Policy.Approval == ApprovalMode.Wave && c.State is CampaignState.Running or CampaignState.Paused
                    && await db.CampaignMasters.AnyAsync(m => m.CampaignId == id && m.Wave <= c.ApprovedThroughWave
                        && !CampaignStates.TerminalMasterStates.Contains(m.State), ct);
                if (waveOpen)
                {
                    note = $"wave {c.ApprovedThroughWave + 1} of {waves} is still running; nothing changed";
                }
                else if (c.State == CampaignState.AwaitingApproval || (request.Policy.Approval == ApprovalMode.Wave && c.ApprovedThroughWave < waves - 1 && c.State is CampaignState.Running or CampaignState.Paused))
                {
                    var wave = request.Policy.Approval == ApprovalMode.Wave ? c.ApprovedThroughWave + 1 : (int?)null;
                    c.ApprovedThroughWave = wave ?? int.MaxValue;
                    c.ApprovedBy ??= actor;
                    c.ApprovedAt ??= now;
                    c.StartedAt ??= now;
                    db.Approvals.Add(new ApprovalRecord { CampaignId = id, Wave = wave, By = actor, At = now });
                    note = wave is null ? "plan approved" : $"wave {wave + 1} of {waves} approved";
                }
                else
                {
                    note = "already approved; nothing changed";
                }
            }
            else
            {
                note = command.ToString().ToLowerInvariant();
            }

            c.Apply(command);
            if (command == CampaignCommand.Abort)
            {
                c.StateDetail = $"aborted by {actor}" + (reason is null ? "" : $": {reason}");
                foreach (var m in await db.CampaignMasters.Where(m => m.CampaignId == id).ToListAsync(ct))
                {
                    if (m.State == MasterRunState.Pending)
                    {
                        m.Apply(MasterCommand.Skip, now, "not started: campaign aborted");
                    }

                    aborted.Add(m.Id);
                }
            }
            else if (command == CampaignCommand.Resume && before == CampaignState.Parked)
            {
                c.StateDetail = null;
            }

            db.AuditEvents.Add(new AuditEvent
            {
                At = now,
                Actor = actor,
                Kind = "campaign." + command.ToString().ToLowerInvariant(),
                Subject = $"campaign {id}",
                Detail = $"{before} → {c.State}: {note}" + (reason is null ? "" : $"; reason: {reason}"),
            });
            await db.SaveChangesAsync(ct);
        }
        catch (InvalidCampaignTransitionException ex)
        {
            throw new CampaignRefusedException(ex.Message);
        }
        finally
        {
            gate.Release();
        }

        // A failed master waiting for a person is cleaned up at once when its campaign is aborted.
        aborted.ForEach(decisions.Wake);
        Announce(id);
        return (await GetAsync(id, ct))!;
    }

    /// <summary>Records a person's decision for a held or failed master; the runner acts on it.</summary>
    public async Task DecideAsync(long id, string master, MasterDecision decision, string actor, CancellationToken ct)
    {
        EnsureLeading();
        long masterRunId;
        await gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var m = await db.CampaignMasters.FirstOrDefaultAsync(x => x.CampaignId == id && x.Master == master, ct)
                    ?? throw new CampaignRefusedException($"campaign {id} has no master {master}", 404);
            if (!CampaignStates.Can(m.State, CampaignStates.CommandOf(decision)))
            {
                throw new CampaignRefusedException($"cannot {CampaignStates.WireName(decision)} {master}: it is {CampaignStates.WireName(m.State)}"
                    + (decision == MasterDecision.Skip && m.State == MasterRunState.Held
                        ? " (a clean shutdown cannot be cancelled: the master goes down by itself; escalate or keep waiting)" : ""));
            }

            m.PendingDecision = decision;
            masterRunId = m.Id;
            db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = actor, Kind = "campaign." + CampaignStates.WireName(decision), Subject = $"campaign {id}", Detail = master });
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            gate.Release();
        }

        // Stored first, so a crash from here on still honours it; then handed to the waiting master.
        decisions.Post(masterRunId, decision);
        Announce(id);
    }

    /// <summary>Runs a change to campaign state for the runner under the same gate as people's commands.</summary>
    internal async Task UpdateAsync(long id, Func<WranglerDb, CampaignRecord, Task> change, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var c = await db.Campaigns.Include(x => x.Masters).ThenInclude(m => m.Steps).AsSplitQuery().FirstAsync(x => x.Id == id, ct);
            await change(db, c);
            await db.SaveChangesAsync(ct);
        }
        finally
        {
            gate.Release();
        }

        Changed?.Invoke(id);
    }

    /// <summary>
    /// One master's change, loading only that master and its steps: a step of a campaign of a thousand masters costs
    /// the same as one of a campaign of two.
    /// </summary>
    internal Task UpdateMasterAsync(long campaignId, long masterId, Action<CampaignMasterRecord> change, CancellationToken ct) =>
        UpdateMastersAsync(campaignId, [masterId], change, ct);

    /// <summary>The same change to several masters of one campaign, in one write; each of them must be there.</summary>
    internal async Task UpdateMastersAsync(long campaignId, IReadOnlyList<long> masterIds, Action<CampaignMasterRecord> change, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var masters = await db.CampaignMasters.Include(x => x.Steps).Where(x => x.CampaignId == campaignId && masterIds.Contains(x.Id)).ToListAsync(ct);
            if (masters.Count != masterIds.Distinct().Count())
            {
                throw new InvalidOperationException($"campaign {campaignId} has no master {string.Join(", ", masterIds.Except(masters.Select(m => m.Id)))}");
            }

            foreach (var m in masters)
            {
                change(m);
            }

            await db.SaveChangesAsync(ct);
        }
        finally
        {
            gate.Release();
        }

        Changed?.Invoke(campaignId);
    }

    public async Task<CampaignView?> GetAsync(long id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var c = await db.Campaigns.AsNoTracking().Include(x => x.Masters).ThenInclude(m => m.Steps).AsSplitQuery().FirstOrDefaultAsync(x => x.Id == id, ct);
        return c is null ? null : View(c);
    }

    public async Task<IReadOnlyList<CampaignView>> ListAsync(int take, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var list = await db.Campaigns.AsNoTracking().Include(x => x.Masters).ThenInclude(m => m.Steps).AsSplitQuery()
            .OrderByDescending(c => c.Id).Take(take).ToListAsync(ct);
        return [.. list.Select(View).OrderBy(v => v.IsActive ? 0 : 1).ThenByDescending(v => v.Id)];
    }

    internal void Announce(long id)
    {
        Changed?.Invoke(id);
        WorkAvailable?.Invoke();
    }

    internal void ReportProgress(long id, string master, string line) => Progress?.Invoke(id, master, line);

    internal static CampaignView View(CampaignRecord c) => new(
        c.Id, c.Kind, c.State, c.StateDetail, c.CreatedBy, c.CreatedAt, c.ApprovedBy, c.ApprovedAt, c.ApprovedThroughWave, c.StartedAt, c.EndedAt, c.Reason,
        JsonSerializer.Deserialize<CampaignRequest>(c.RequestJson, Json)!,
        JsonSerializer.Deserialize<CampaignPlan>(c.PlanJson, Json)!,
        [.. c.Masters.OrderBy(m => m.Wave).ThenBy(m => m.Bucket).Select(m => new CampaignMasterView(
            m.Id, m.Master, m.Bucket, m.Wave, m.State, m.Detail, m.StartedAt, m.EndedAt, m.PendingDecision is { } d ? CampaignStates.WireName(d) : null,
            [.. m.Steps.OrderBy(s => s.Seq).Select(s => new StepView(s.Id, s.Seq, s.Kind, s.State, s.StartedAt, s.EndedAt, s.Detail))]))])
    {
        ScheduleId = c.ScheduleId,
        NotAfter = c.NotAfter,
    };
}
