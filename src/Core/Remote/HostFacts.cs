namespace Wrangler.Core.Remote;

/// <summary>A checkout as found on the host. <see cref="Revision"/> ends in '+' when the working copy has local changes.</summary>
public sealed record RepoFacts(string Name, string Dir, string ExpectedBranch, string? Revision, string? Branch, string? Error)
{
    public bool IsDirty => Revision?.EndsWith('+') == true;
    public bool OnExpectedBranch => Branch == ExpectedBranch;
}

/// <summary>Everything host-side about one master, gathered in one round trip.</summary>
public sealed record HostFacts(
    DateTimeOffset CollectedAt,
    IReadOnlyList<RepoFacts> Repos,
    int? Pid,
    bool ProcessAlive,
    DateTimeOffset? ProcessStartedAt,
    bool LockPresent,
    TimeSpan? HostUptime,
    IReadOnlyList<string> LogTail,
    IReadOnlyList<string> Errors,
    TimeSpan Elapsed);

public sealed record RepoUpdateResult(string Name, string Dir, string? Before, string? After, bool Succeeded, string Output)
{
    public bool Changed => Before != After;
}

public enum ReconfigOutcome
{
    Complete,
    Aborted,
    PartiallyApplied,

    /// <summary>No marker within the timeout: the master may be hung, or the SIGHUP went to a stale pid.</summary>
    TimedOut,

    /// <summary>No twistd.pid, or its process is gone; no signal was sent.</summary>
    NotRunning,
}

public sealed record ReconfigResult(ReconfigOutcome Outcome, IReadOnlyList<Buildbot.MasterLogEvent> Events, IReadOnlyList<string> LogLines, string Message, TimeSpan Elapsed)
{
    public bool Succeeded => Outcome == ReconfigOutcome.Complete;
}

public sealed record ConfigCheckResult(bool IsGood, string Output, TimeSpan Elapsed);
