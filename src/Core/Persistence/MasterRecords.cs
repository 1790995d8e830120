namespace Wrangler.Core.Persistence;

/// <summary>The latest observed state of a master, as JSON, so a restarted Wrangler shows the last known fleet at once.</summary>
public sealed class MasterSnapshotRecord
{
    public required string Name { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public required string Status { get; set; }
    public required string Json { get; set; }
}

/// <summary>One change of a master's state (running → draining, → unreachable, ...), for the master page's history.</summary>
public sealed class MasterStateChangeRecord
{
    public long Id { get; set; }
    public required string Master { get; set; }
    public DateTimeOffset At { get; set; }
    public string? From { get; set; }
    public required string To { get; set; }
    public string? Detail { get; set; }
}
