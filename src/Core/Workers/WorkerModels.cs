namespace Wrangler.Core.Workers;

/// <summary>The first of these that holds, in this order (the contract's <c>state</c>).</summary>
public enum WorkerStatus
{
    Disconnected,
    ShuttingDown,
    Paused,
    Busy,
    Idle,
}

public enum Liveness
{
    Ok,
    Warning,
    Critical,
    ExpectedIdle,
}

/// <summary>A build anywhere in the fleet: only (master, builder, number) identifies it.</summary>
public sealed record BuildRef(
    string Master,
    string Builder,
    int Number,
    string? Worker,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Result,
    Uri Url);

public sealed record ExpectedIdleMark(string Reason, string By, DateTimeOffset Until);

/// <summary>One worker as Wrangler sees it across every enabled master.</summary>
public sealed record WorkerView
{
    public required string Name { get; init; }
    public required string Pool { get; init; }
    public required IReadOnlyList<string> ConnectedTo { get; init; }
    public required IReadOnlyList<string> ConfiguredOn { get; init; }
    public bool Paused { get; init; }
    public bool Graceful { get; init; }
    public WorkerStatus State { get; init; }
    public required IReadOnlyList<BuildRef> RunningBuilds { get; init; }
    public DateTimeOffset? LastConnectedAt { get; init; }
    public DateTimeOffset? LastDisconnectedAt { get; init; }
    public DateTimeOffset? LastBuildStartedAt { get; init; }
    public DateTimeOffset? LastBuildFinishedAt { get; init; }
    public string? LastBuildResult { get; init; }
    public BuildRef? LastBuild { get; init; }
    public DateTimeOffset? LastCycleAt { get; init; }
    public Liveness Liveness { get; init; }
    public string? LivenessDetail { get; init; }
    public string? Version { get; init; }
    public string? Host { get; init; }
    public ExpectedIdleMark? ExpectedIdle { get; init; }
    public DateTimeOffset? PausedUntil { get; init; }

    /// <summary>The runner's last reported phase, when, and its detail; null for a worker no runner reports on.</summary>
    public string? CyclePhase { get; init; }
    public DateTimeOffset? CyclePhaseAt { get; init; }
    public string? CycleDetail { get; init; }

    /// <summary>When its runner's current cycle began (its last <c>preflight</c>).</summary>
    public DateTimeOffset? CycleStartedAt { get; init; }

    /// <summary>When Wrangler first saw the worker configured anywhere (the clock for a worker that never connected).</summary>
    public DateTimeOffset FirstSeenAt { get; init; }
}

/// <summary>A connection or disconnection Wrangler saw (Buildbot keeps none: BUILDBOT.md §10).</summary>
public sealed record WorkerConnectionEvent(DateTimeOffset At, string Master, string Kind);
