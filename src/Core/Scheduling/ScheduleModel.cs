using System.Collections.Immutable;
using Wrangler.Core.Campaigns;

namespace Wrangler.Core.Scheduling;

/// <summary>What happens to a fire time that passed while Wrangler was down (or Quartz could not fire it).</summary>
public enum MisfirePolicy
{
    /// <summary>Fire once, late, if the fire time's window is still open; never once per missed fire time.</summary>
    RunLate,

    /// <summary>Leave the missed fire time out and wait for the next one.</summary>
    Skip,
}

/// <summary>What an operator asks for: a campaign template, when it fires, and for how long it may start masters.</summary>
public sealed record ScheduleSpec(
    string Name,
    CampaignKind Kind,
    Selector Selector,
    CampaignPolicy? Policy,
    string Cron,
    string TimeZone,
    TimeSpan Window,
    MisfirePolicy Misfire = MisfirePolicy.RunLate,
    bool Enabled = true,
    string? Reason = null);

/// <summary>One past campaign of a schedule, for its "last runs".</summary>
/// <param name="Attention">Why it waits for a person (parked, failed, a held drain); null when it needs nobody.</param>
public sealed record ScheduleRun(long CampaignId, CampaignState State, string? StateDetail, DateTimeOffset CreatedAt, DateTimeOffset? EndedAt, DateTimeOffset? NotAfter, string? Attention)
{
    public bool NeedsAttention => Attention is not null;
}

public sealed record ScheduleView(
    long Id,
    string Name,
    CampaignKind Kind,
    Selector Selector,
    CampaignPolicy Policy,
    string? Reason,
    string Cron,
    string CronInWords,
    string TimeZone,
    TimeSpan Window,
    MisfirePolicy Misfire,
    bool Enabled,
    string Owner,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ImmutableArray<DateTimeOffset> NextFireTimes,
    ImmutableArray<ScheduleRun> LastRuns)
{
    /// <summary>The latest run stopped by itself (parked, failed, a held drain): buildduty must look.</summary>
    public ScheduleRun? Stopped => LastRuns.FirstOrDefault(r => r.NeedsAttention);
}

public sealed record ExcludedDate(DateOnly Date, string Reason, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>The fire times a cron + zone would give, for the form's preview.</summary>
public sealed record SchedulePreview(string CronInWords, ImmutableArray<DateTimeOffset> NextFireTimes, ImmutableArray<string> Problems);

/// <summary>A schedule request that cannot be honoured as asked (invalid cron or zone, a duplicate name, unknown id).</summary>
public sealed class ScheduleRefusedException(string message, int statusCode = 400) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
