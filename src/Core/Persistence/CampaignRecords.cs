using Wrangler.Core.Campaigns;

namespace Wrangler.Core.Persistence;

public sealed class CampaignRecord
{
    public long Id { get; set; }
    public CampaignKind Kind { get; set; }

    /// <summary>Changed only by <see cref="Apply"/>: <see cref="CampaignStates"/> says what is legal.</summary>
    public CampaignState State { get; private set; }

    /// <summary>Why the campaign is parked, failed or aborted, in words for the person who has to act.</summary>
    public string? StateDetail { get; set; }

    /// <summary>The request (selector, policy, reason) as JSON: what the operator approved.</summary>
    public required string RequestJson { get; set; }

    /// <summary>The plan as JSON: waves, buckets, capacity, estimate.</summary>
    public required string PlanJson { get; set; }

    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? ApprovedBy { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }

    /// <summary>Waves up to this index (0-based) may start; -1 before any approval.</summary>
    public int ApprovedThroughWave { get; set; } = -1;

    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? Reason { get; set; }

    /// <summary>The schedule that started this campaign; null for one a person or automation created.</summary>
    public long? ScheduleId { get; set; }

    /// <summary>The end of a schedule's window: masters not started by then are skipped, in-flight ones finish.</summary>
    public DateTimeOffset? NotAfter { get; set; }

    public List<CampaignMasterRecord> Masters { get; set; } = [];

    /// <exception cref="InvalidCampaignTransitionException">The move is not legal from the current state.</exception>
    public void Apply(CampaignCommand command) => State = CampaignStates.Next(State, command);
}

public sealed class CampaignMasterRecord
{
    public long Id { get; set; }
    public long CampaignId { get; set; }
    public required string Master { get; set; }
    public required string Bucket { get; set; }
    public int Wave { get; set; }

    /// <summary>Order within the bucket: a bucket's masters go strictly one slot after another.</summary>
    public int Slot { get; set; }

    /// <summary>Changed only by <see cref="Apply"/>: <see cref="CampaignStates"/> says what is legal.</summary>
    public MasterRunState State { get; private set; }

    public string? Detail { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>Workers connected before the action: verify waits until at least as many are back.</summary>
    public int? WorkersBefore { get; set; }

    /// <summary>
    /// A person's decision waiting for the runner: the record, so a decision taken before a crash is still honoured.
    /// It reaches a waiting master in memory (<see cref="DecisionBoard"/>), never by reading this back.
    /// </summary>
    public MasterDecision? PendingDecision { get; set; }

    public List<StepRecord> Steps { get; set; } = [];

    /// <summary>Moves the master on; the start and end times follow from where it goes.</summary>
    /// <exception cref="InvalidCampaignTransitionException">The move is not legal from the current state.</exception>
    public void Apply(MasterCommand command, DateTimeOffset now, string? detail)
    {
        State = CampaignStates.Next(State, command);
        Detail = detail;
        if (State == MasterRunState.Running)
        {
            StartedAt ??= now;
        }

        if (CampaignStates.IsTerminal(State))
        {
            EndedAt = now;
            PendingDecision = null;
        }
    }
}

public sealed class StepRecord
{
    public long Id { get; set; }
    public long CampaignMasterId { get; set; }
    public int Seq { get; set; }
    public StepKind Kind { get; set; }

    /// <summary>Changed only by <see cref="Apply"/>: <see cref="CampaignStates"/> says what is legal.</summary>
    public StepState State { get; private set; }

    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? Detail { get; set; }

    /// <exception cref="InvalidCampaignTransitionException">The move is not legal from the current state.</exception>
    public void Apply(StepCommand command, DateTimeOffset now, string? detail = null)
    {
        State = CampaignStates.Next(State, command);
        Detail = detail ?? Detail;
        if (State == StepState.Running)
        {
            StartedAt ??= now;
        }
        else if (State != StepState.Pending)
        {
            EndedAt = now;
        }
    }
}

public sealed class ApprovalRecord
{
    public long Id { get; set; }
    public long CampaignId { get; set; }

    /// <summary>Null for the whole plan; a wave index in per-wave approval.</summary>
    public int? Wave { get; set; }

    public required string By { get; set; }
    public DateTimeOffset At { get; set; }
}

/// <summary>
/// A side effect on the world, written before it is made, with what undoes it. An entry with no UndoneAt outlives
/// nothing: success, abort, failure resolution and start-up sweeps undo it.
/// </summary>
public sealed class LedgerEntryRecord
{
    public long Id { get; set; }
    public long CampaignId { get; set; }
    public required string Master { get; set; }
    public LedgerEffect Effect { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? UndoneAt { get; set; }
    public string? Detail { get; set; }
}

public enum LedgerEffect
{
    AllocatorDisabled,
    DowntimeScheduled,
    LockCreated,

    /// <summary>Checkouts moved to new revisions; Detail holds the previous ones (repo=revision, one per line).</summary>
    ReposUpdated,
}
