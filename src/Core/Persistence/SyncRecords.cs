namespace Wrangler.Core.Persistence;

/// <summary>One repo of one master moved by a reconfig campaign: the "what's in production" log.</summary>
public sealed class RevisionEventRecord
{
    public long Id { get; set; }
    public long CampaignId { get; set; }
    public required string Master { get; set; }
    public required string Repo { get; set; }
    public string? Before { get; set; }
    public required string After { get; set; }
    public DateTimeOffset At { get; set; }
}

/// <summary>A freeze of automatic reconfigs; the one with no LiftedAt is in force. Kept after lifting, as history.</summary>
public sealed class FreezeRecord
{
    public long Id { get; set; }
    public required string SetBy { get; set; }
    public required string Reason { get; set; }
    public DateTimeOffset SetAt { get; set; }
    public string? LiftedBy { get; set; }
    public string? LiftReason { get; set; }
    public DateTimeOffset? LiftedAt { get; set; }
}

/// <summary>A campaign the production watcher started and the tips it was for, so a restart knows which tip failed.</summary>
public sealed class AutoReconfigRecord
{
    public long CampaignId { get; set; }

    /// <summary>"repo@branch=revision" lines, sorted: the production tips the campaign was started for.</summary>
    public required string Tips { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A production tip and when Wrangler first saw it there: the quiet window counts from it, across restarts.</summary>
public sealed class TipMoveRecord
{
    public required string Repo { get; set; }
    public required string Branch { get; set; }
    public required string Revision { get; set; }
    public DateTimeOffset MovedAt { get; set; }
}

/// <summary>When a master was first seen behind production: the drift clock, kept across restarts so the alarm neither resets nor fires early.</summary>
public sealed class BehindSinceRecord
{
    public required string Master { get; set; }
    public DateTimeOffset Since { get; set; }
}
