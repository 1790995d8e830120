namespace Wrangler.Core.Workers;

/// <summary>What Wrangler remembers of a worker across restarts (Buildbot keeps no connection times).</summary>
public sealed class WorkerRecord
{
    public required string Name { get; set; }
    public DateTimeOffset FirstSeenAt { get; set; }

    /// <summary>The master Wrangler last saw it connected to; null while disconnected.</summary>
    public string? ConnectedMaster { get; set; }
    public DateTimeOffset? LastConnectedAt { get; set; }
    public DateTimeOffset? LastDisconnectedAt { get; set; }
    public DateTimeOffset? LastBuildStartedAt { get; set; }
    public DateTimeOffset? LastBuildFinishedAt { get; set; }
    public string? LastBuildResult { get; set; }
    public string? LastBuildMaster { get; set; }
    public string? LastBuildBuilder { get; set; }
    public int? LastBuildNumber { get; set; }
    public string? LastBuildUrl { get; set; }

    /// <summary>The last work-cycle phase its runner reported, and when.</summary>
    public DateTimeOffset? LastCycleReportAt { get; set; }
    public string? LastCyclePhase { get; set; }

    public string? IdleReason { get; set; }
    public string? IdleBy { get; set; }
    public DateTimeOffset? IdleUntil { get; set; }

    /// <summary>A pause Wrangler lifts by itself at this time.</summary>
    public DateTimeOffset? PausedUntil { get; set; }

    // Last in the class: SQLite's ADD COLUMN appends, and the migration test compares with the model's column order.

    /// <summary>When the runner's current (or last) cycle began: its last <c>preflight</c> report.</summary>
    public DateTimeOffset? LastCycleStartedAt { get; set; }

    /// <summary>The detail of the last reported phase (for <c>halted</c>, the task and its output).</summary>
    public string? LastCycleDetail { get; set; }

    public WorkerRecord Copy() => (WorkerRecord)MemberwiseClone();
}

/// <summary>One connection or disconnection Wrangler saw.</summary>
public sealed class WorkerEventRecord
{
    public long Id { get; set; }
    public required string Worker { get; set; }
    public required string Master { get; set; }

    /// <summary><c>connected</c> or <c>disconnected</c>.</summary>
    public required string Kind { get; set; }
    public DateTimeOffset At { get; set; }
}
