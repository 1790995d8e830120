using System.Collections.Immutable;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Campaigns;

/// <summary>
/// Turns a request and a fleet snapshot into waves. Pure: it reads the snapshot it is given and nothing else, so the
/// plan page, the API and a scheduled run all see the same plan for the same inputs.
/// </summary>
public static class CampaignPlanner
{
    public const string EmptySelectorWarning =
        "the selector names nothing; name at least one master, role, bucket or datacentre, or ask for out-of-sync masters only";

    public const string NoMatchWarning = "no master matches the selector";

    public const string SchedulersWithoutDrainWarning = "scheduler masters are restarted without a drain";

    /// <summary>
    /// Problems with a request that make it unplannable, in words for the person who sent it (the API returns them
    /// as a 400). Empty when the request is fine. An empty selector is not a problem here: it plans to nothing,
    /// with a warning, so the form can preview while it is being filled in.
    /// </summary>
    public static IReadOnlyList<string> Validate(CampaignRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<string>();
        if (!Enum.IsDefined(request.Kind))
        {
            problems.Add($"kind {(int)request.Kind} is not one of gracefulRestart, restart, reboot, reconfig");
        }

        // Records bound from JSON can carry nulls the compiler was promised would not be there.
        if (request.Selector is null)
        {
            problems.Add("selector is required");
        }
        else
        {
            foreach (var role in OrEmpty(request.Selector.Roles).Where(r => !Enum.IsDefined(r)))
            {
                problems.Add($"selector role {(int)role} is not one of build, try, tests, scheduler");
            }
        }

        if (request.Policy is not { } policy)
        {
            problems.Add("policy is required");
            return problems;
        }

        if (policy.PerBucket < 1)
        {
            problems.Add($"perBucket must be at least 1 (was {policy.PerBucket})");
        }

        if (policy.MaxParallel < 1)
        {
            problems.Add($"maxParallel must be at least 1 (was {policy.MaxParallel})");
        }

        if (policy.DrainTimeout <= TimeSpan.Zero)
        {
            problems.Add($"drainTimeout must be longer than zero (was {policy.DrainTimeout})");
        }

        if (policy.FailureThreshold < 1)
        {
            problems.Add($"failureThreshold must be at least 1 (was {policy.FailureThreshold})");
        }

        if (!Enum.IsDefined(policy.OnDrainTimeout))
        {
            problems.Add($"onDrainTimeout {(int)policy.OnDrainTimeout} is not one of hold, hardStop");
        }

        if (!Enum.IsDefined(policy.Approval))
        {
            problems.Add($"approval {(int)policy.Approval} is not one of plan, wave, none");
        }

        problems.AddRange(Input.CampaignLimits.Problems(request));
        return problems;
    }

    /// <summary>
    /// Used when there is no past duration of this kind for a master. Deliberately round numbers a person can check:
    /// a graceful restart is dominated by the drain, which history learns quickly; schedulers have nothing to drain.
    /// </summary>
    public static TimeSpan DefaultDuration(CampaignKind kind, MasterRole role) => kind switch
    {
        CampaignKind.GracefulRestart => role == MasterRole.Scheduler ? TimeSpan.FromMinutes(2) : TimeSpan.FromMinutes(45),
        CampaignKind.Restart => TimeSpan.FromMinutes(2),
        CampaignKind.Reboot => role == MasterRole.Scheduler ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(45 + 10),
        CampaignKind.Reconfig => TimeSpan.FromMinutes(1),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Whether the master is drained before it stops: graceful restarts and reboots drain, never schedulers (nothing runs on them).</summary>
    public static bool Drains(CampaignKind kind, MasterRole role) => (kind is CampaignKind.GracefulRestart or CampaignKind.Reboot) && role != MasterRole.Scheduler;

    /// <summary>Workers that go with a master while it is down: configured ones, or connected ones when the master reports none configured.</summary>
    public static int WorkersOn(MasterState master) =>
        master.Workers.Configured > 0 ? master.Workers.Configured : master.Workers.Connected;

    /// <exception cref="ArgumentException">The request has problems; the message lists every one of <see cref="Validate"/>.</exception>
    public static CampaignPlan Plan(
        CampaignRequest request,
        IReadOnlyList<MasterState> fleet,
        IReadOnlyDictionary<(string Master, CampaignKind Kind), TimeSpan> pastDurations)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(pastDurations);
        var problems = Validate(request);
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid campaign request: " + string.Join("; ", problems), nameof(request));
        }

        var selector = request.Selector;
        var policy = request.Policy;
        var warnings = ImmutableArray.CreateBuilder<string>();

        if (IsEmpty(selector))
        {
            // Refusing to guess: "everything" is the one selection that must be spelled out.
            warnings.Add(EmptySelectorWarning);
            return new CampaignPlan(request, [], [], [], warnings.ToImmutable(), TimeSpan.Zero);
        }

        var known = fleet.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = OrEmpty(selector.Names).Where(n => !known.Contains(n)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            warnings.Add("not in the inventory: " + string.Join(", ", unknown));
        }

        var selected = fleet.Where(m => Matches(selector, m)).OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        if (selected.Count == 0)
        {
            warnings.Add(NoMatchWarning);
        }

        var excluded = ImmutableArray.CreateBuilder<string>();
        var eligible = new List<MasterState>();
        foreach (var master in selected)
        {
            if (ExclusionReason(request.Kind, master) is { } reason)
            {
                excluded.Add($"{master.Name}: {reason}");
            }
            else
            {
                eligible.Add(master);
            }
        }

        if ((request.Kind is CampaignKind.GracefulRestart or CampaignKind.Reboot) && eligible.Any(m => m.Master.Role == MasterRole.Scheduler))
        {
            warnings.Add(SchedulersWithoutDrainWarning);
        }

        TimeSpan Estimate(MasterState m) =>
            pastDurations.TryGetValue((m.Name, request.Kind), out var past) ? past : DefaultDuration(request.Kind, m.Master.Role);

        // The whole bucket counts, selected or not: the loss is of the pool that serves the bucket's jobs.
        var bucketWorkers = fleet
            .Where(m => m.Master.Enabled)
            .GroupBy(m => m.Master.Bucket, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(WorkersOn), StringComparer.Ordinal);

        double Share(MasterState m) =>
            bucketWorkers.TryGetValue(m.Master.Bucket, out var total) && total > 0 ? (double)WorkersOn(m) / total : 0;

        var buckets = ImmutableArray.CreateBuilder<BucketPlan>();
        var slotsPerBucket = new List<IReadOnlyList<IReadOnlyList<MasterState>>>();
        foreach (var group in eligible.GroupBy(m => m.Master.Bucket, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            // Fewest running builds first: those drain quickest, so the bucket regains capacity soonest.
            var ordered = group.OrderBy(m => m.RunningBuilds.Length).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
            var slots = ordered.Chunk(policy.PerBucket).Select(s => (IReadOnlyList<MasterState>)s).ToList();
            slotsPerBucket.Add(slots);
            buckets.Add(new BucketPlan(
                group.Key,
                [.. ordered.Select(m => m.Name)],
                Math.Min(policy.PerBucket, ordered.Count),
                slots.Max(s => s.Sum(Share)),
                Sum(slots.Select(s => s.Max(Estimate))))
            {
                WithoutDrain = [.. ordered.Where(m => !Drains(request.Kind, m.Master.Role)).Select(m => m.Name)],
            });
        }

        // Wave N is the N-th slot of every bucket; the global cap then splits a wave into consecutive ones, which can
        // only lower how many of a bucket are down together.
        var slotCount = slotsPerBucket.Count == 0 ? 0 : slotsPerBucket.Max(s => s.Count);
        var waves = new List<IReadOnlyList<MasterState>>();
        for (var n = 0; n < slotCount; n++)
        {
            var wave = slotsPerBucket.Where(s => n < s.Count).SelectMany(s => s[n]).ToList();
            waves.AddRange(wave.Chunk(policy.MaxParallel));
        }

        var planned = ImmutableArray.CreateBuilder<PlannedMaster>();
        for (var w = 0; w < waves.Count; w++)
        {
            foreach (var m in waves[w])
            {
                planned.Add(new PlannedMaster(
                    m.Name,
                    m.Master.Bucket,
                    m.Master.Role,
                    w,
                    Share(m),
                    Estimate(m),
                    pastDurations.ContainsKey((m.Name, request.Kind)),
                    Drains(request.Kind, m.Master.Role),
                    m.RunningBuilds.Length));
            }
        }

        return new CampaignPlan(
            request,
            [.. waves.Select(w => w.Select(m => m.Name).ToImmutableArray())],
            buckets.ToImmutable(),
            excluded.ToImmutable(),
            warnings.ToImmutable(),
            Sum(waves.Select(w => w.Max(Estimate))))
        {
            Masters = planned.ToImmutable(),
        };
    }

    public static bool IsEmpty(Selector selector) =>
        selector.Names.IsDefaultOrEmpty && selector.Roles.IsDefaultOrEmpty && selector.Buckets.IsDefaultOrEmpty
        && selector.Datacentres.IsDefaultOrEmpty && !selector.OutOfSyncOnly;

    /// <summary>AND across the lists that are set, OR within one; every comparison is exact, as the inventory spells it.</summary>
    public static bool Matches(Selector selector, MasterState master) =>
        (selector.Names.IsDefaultOrEmpty || selector.Names.Contains(master.Name, StringComparer.Ordinal))
        && (selector.Roles.IsDefaultOrEmpty || selector.Roles.Contains(master.Master.Role))
        && (selector.Buckets.IsDefaultOrEmpty || selector.Buckets.Contains(master.Master.Bucket, StringComparer.Ordinal))
        && (selector.Datacentres.IsDefaultOrEmpty || selector.Datacentres.Contains(master.Master.Datacentre, StringComparer.Ordinal))
        && (!selector.OutOfSyncOnly || master.InSync == false);

    /// <summary>Why a selected master is left out, or null when it goes in. The first reason wins.</summary>
    public static string? ExclusionReason(CampaignKind kind, MasterState master)
    {
        if (!master.Master.Enabled)
        {
            return "disabled in the inventory";
        }

        // Observed, not Status: a campaign's own overlay must not hide that polling cannot reach the host. An
        // unreachable master cannot pass the pre-check, so planning it would only park the campaign later.
        if (master.Observed == MasterStatus.Unreachable)
        {
            return string.IsNullOrEmpty(master.ObservedDetail) ? "unreachable" : $"unreachable: {master.ObservedDetail}";
        }

        // A named reconfig is a real reconfig, even of a master Wrangler believes is at the tip: buildduty reconfigs
        // for reasons outside the repos, and the last poll's idea of the tip may be stale (a push a second ago).
        // Only the selector's outOfSyncOnly leaves out masters already at the tip (docs/campaigns.md).
        return null;
    }

    // A serializer can leave an ImmutableArray default (null inside) rather than empty.
    private static ImmutableArray<T> OrEmpty<T>(ImmutableArray<T> items) => items.IsDefault ? [] : items;

    private static TimeSpan Sum(IEnumerable<TimeSpan> spans) => spans.Aggregate(TimeSpan.Zero, (a, b) => a + b);
}
