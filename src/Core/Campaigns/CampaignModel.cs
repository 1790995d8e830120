using System.Collections.Immutable;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Campaigns;

public enum CampaignKind
{
    GracefulRestart,
    Restart,
    Reboot,
    Reconfig,
}

public enum DrainTimeoutAction
{
    /// <summary>Park the master and wait for a person to escalate (hard stop) or skip it.</summary>
    Hold,

    /// <summary>Hard stop at once, without a person: running builds are cancelled.</summary>
    HardStop,
}

public enum ApprovalMode
{
    /// <summary>One approval for the whole plan.</summary>
    Plan,

    /// <summary>Each wave waits for its own approval.</summary>
    Wave,

    /// <summary>Pre-approved (schedules): runs as soon as it is created.</summary>
    None,
}

/// <summary>Which masters a campaign is for; every non-empty list must match (AND across lists, OR within one).</summary>
public sealed record Selector
{
    public ImmutableArray<string> Names { get; init; } = [];
    public ImmutableArray<MasterRole> Roles { get; init; } = [];
    public ImmutableArray<string> Buckets { get; init; } = [];
    public ImmutableArray<string> Datacentres { get; init; } = [];
    public bool OutOfSyncOnly { get; init; }
}

public sealed record CampaignPolicy
{
    /// <summary>Masters of one bucket down at the same time.</summary>
    public int PerBucket { get; init; } = 1;

    /// <summary>Masters acted on at once across the whole campaign.</summary>
    public int MaxParallel { get; init; } = 8;

    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromHours(2);
    public DrainTimeoutAction OnDrainTimeout { get; init; } = DrainTimeoutAction.Hold;
    public ApprovalMode Approval { get; init; } = ApprovalMode.Plan;

    /// <summary>Failed masters after which the campaign starts nothing new.</summary>
    public int FailureThreshold { get; init; } = 1;
}

public sealed record CampaignRequest(CampaignKind Kind, Selector Selector, CampaignPolicy Policy, string? Reason = null)
{
    /// <summary>Fills what a JSON caller may leave out (DESIGN.md: policy is optional) so nothing downstream sees a null.</summary>
    public CampaignRequest Normalized()
    {
        var s = Selector ?? new Selector();
        return this with
        {
            Selector = s with
            {
                Names = s.Names.IsDefault ? [] : s.Names,
                Roles = s.Roles.IsDefault ? [] : s.Roles,
                Buckets = s.Buckets.IsDefault ? [] : s.Buckets,
                Datacentres = s.Datacentres.IsDefault ? [] : s.Datacentres,
            },
            Policy = Policy ?? new CampaignPolicy(),
            Reason = string.IsNullOrWhiteSpace(Reason) ? null : Reason.Trim(),
        };
    }
}

/// <summary>
/// One bucket's share of a plan: its masters in the order they go, how many at a time, and the capacity the bucket
/// loses while one of its masters is down (workers on that master / workers in the bucket).
/// </summary>
public sealed record BucketPlan(string Bucket, ImmutableArray<string> Masters, int AtATime, double WorstCapacityLoss, TimeSpan EstimatedDuration)
{
    /// <summary>Masters of this bucket stopped without a drain (schedulers in a graceful restart or reboot; everyone in a hard restart).</summary>
    public ImmutableArray<string> WithoutDrain { get; init; } = [];
}

/// <summary>
/// One master as the plan sees it, for the plan page: where it goes, what share of its bucket's workers it takes
/// down, and where its estimate came from.
/// </summary>
public sealed record PlannedMaster(
    string Name,
    string Bucket,
    MasterRole Role,
    int Wave,
    double CapacityShare,
    TimeSpan EstimatedDuration,
    bool EstimateFromHistory,
    bool Drains,
    int RunningBuilds);

/// <summary>
/// What a campaign will do, computed without touching anything. Waves are global steps: wave N holds the N-th slot
/// of every bucket, so buckets go in parallel and a bucket never has more than its share down.
/// </summary>
public sealed record CampaignPlan(
    CampaignRequest Request,
    ImmutableArray<ImmutableArray<string>> Waves,
    ImmutableArray<BucketPlan> Buckets,
    ImmutableArray<string> Excluded,
    ImmutableArray<string> Warnings,
    TimeSpan EstimatedDuration)
{
    /// <summary>Every planned master in wave order; empty for a plan with no waves.</summary>
    public ImmutableArray<PlannedMaster> Masters { get; init; } = [];
}
