using System.Collections.Immutable;

namespace Wrangler.Core.Campaigns;

public sealed record StepView(long Id, int Seq, StepKind Kind, StepState State, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Detail);

public sealed record CampaignMasterView(
    long Id,
    string Name,
    string Bucket,
    int Wave,
    MasterRunState State,
    string? Detail,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? PendingDecision,
    ImmutableArray<StepView> Steps);

public sealed record CampaignView(
    long Id,
    CampaignKind Kind,
    CampaignState State,
    string? StateDetail,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    string? ApprovedBy,
    DateTimeOffset? ApprovedAt,
    int ApprovedThroughWave,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? Reason,
    CampaignRequest Request,
    CampaignPlan Plan,
    ImmutableArray<CampaignMasterView> Masters)
{
    public bool IsActive => !CampaignStates.IsTerminal(State);

    /// <summary>The schedule that started it, if any.</summary>
    public long? ScheduleId { get; init; }

    /// <summary>End of the schedule's window: masters not started by then are skipped.</summary>
    public DateTimeOffset? NotAfter { get; init; }
}

/// <summary>Where a pre-approved campaign comes from: a schedule, the operator whose approval it carries, its window's end.</summary>
public sealed record CampaignOrigin(long ScheduleId, string ApprovedBy, DateTimeOffset? NotAfter);

/// <summary>A person's answer for one master: hard stop a held drain, run a failed master again, or leave it out.</summary>
public enum MasterDecision
{
    Escalate,
    Retry,
    Skip,
}

/// <summary>A request that cannot be honoured as asked (overlap with a running campaign, an invalid policy, an illegal transition).</summary>
public sealed class CampaignRefusedException(string message, int statusCode = 409) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
