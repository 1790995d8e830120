using Wrangler.Core.Campaigns;

namespace Wrangler.Core.Persistence;

/// <summary>
/// A pre-approved campaign template on a cron. The definition lives here; Quartz keeps the trigger state (next fire,
/// misfires) in its own QRTZ_* tables in the same file.
/// </summary>
public sealed class ScheduleRecord
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public CampaignKind Kind { get; set; }

    /// <summary>The campaign request (selector, policy, reason) as JSON, with approval forced to "none".</summary>
    public required string RequestJson { get; set; }

    /// <summary>Quartz cron: seconds minutes hours day-of-month month day-of-week [year].</summary>
    public required string Cron { get; set; }

    /// <summary>IANA time zone id the cron is read in.</summary>
    public required string TimeZone { get; set; }

    /// <summary>How long after a fire time masters may still be started; in-flight ones finish after it.</summary>
    public TimeSpan Window { get; set; }

    public Scheduling.MisfirePolicy Misfire { get; set; }
    public bool Enabled { get; set; }

    /// <summary>The operator who last created or changed it: their approval is every campaign's approval.</summary>
    public required string Owner { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary><see cref="Input.InputRules.NameKey"/> of the name: unique, so two schedules differ by more than case. Last: SQLite appends columns.</summary>
    public string NameKey { get; set; } = "";
}

/// <summary>A day on which no schedule fires (release freeze, holiday), in each schedule's own time zone.</summary>
public sealed class ExcludedDateRecord
{
    public long Id { get; set; }
    public DateOnly Date { get; set; }
    public required string Reason { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
