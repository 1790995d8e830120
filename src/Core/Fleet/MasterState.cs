using System.Collections.Immutable;
using Wrangler.Core.Buildbot;

namespace Wrangler.Core.Fleet;

/// <summary>The states of DESIGN.md's HTTP contract; draining, starting and reconfiguring come from campaigns or from the master's own log.</summary>
public enum MasterStatus
{
    Running,
    Draining,
    Stopped,
    Starting,
    Reconfiguring,
    Unreachable,
    Disabled,
}

/// <summary>A repo checkout on a master compared with the production tip of its upstream. <see cref="InSync"/> is null when the tip is unknown.</summary>
public sealed record RepoState(string Name, string Dir, string Branch, string? Revision, string? TipRevision, bool? InSync, string? Error);

public sealed record WorkerState(string Name, bool Connected, bool Paused, bool Graceful);

public sealed record WorkerCounts(int Connected, int Paused, int Graceful, int Configured)
{
    public static readonly WorkerCounts None = new(0, 0, 0, 0);
}

/// <summary>
/// One master as last observed. Immutable: the poller replaces it whole, so a subscriber never sees half an update.
/// </summary>
public sealed record MasterState
{
    public required MasterInfo Master { get; init; }

    /// <summary>What polling found: the process, the log, the REST API.</summary>
    public required MasterStatus Observed { get; init; }

    /// <summary>Why, in words for a person: the SSH error, "waiting for 2 build(s)", ...</summary>
    public string? ObservedDetail { get; init; }

    /// <summary>Set while a campaign is acting on the master; it overrides what polling alone would say.</summary>
    public MasterStatus? CampaignStatus { get; init; }

    public string? CampaignDetail { get; init; }

    public MasterStatus Status => !Master.Enabled ? MasterStatus.Disabled : CampaignStatus ?? Observed;

    public string? StatusDetail => !Master.Enabled ? "disabled in the inventory" : CampaignStatus is null ? ObservedDetail : CampaignDetail;

    public WorkerCounts Workers { get; init; } = WorkerCounts.None;
    public ImmutableArray<WorkerState> WorkerList { get; init; } = [];
    public ImmutableArray<RunningBuild> RunningBuilds { get; init; } = [];
    public int PendingRequests { get; init; }
    public ImmutableArray<RepoState> Repos { get; init; } = [];
    public bool LockPresent { get; init; }
    public DateTimeOffset? LastPolledAt { get; init; }
    public TimeSpan? PollDuration { get; init; }

    /// <summary>When the master process started (from twistd.pid's process); a restart moves it.</summary>
    public DateTimeOffset? LastRestartAt { get; init; }

    /// <summary>The last "configuration update complete" seen in twistd.log.</summary>
    public DateTimeOffset? LastReconfigAt { get; init; }

    public TimeSpan? HostUptime { get; init; }

    /// <summary>Null when no repo's tip is known; false when any known tip differs.</summary>
    public bool? InSync => Repos.Any(r => r.InSync == false) ? false : Repos.Any(r => r.InSync == true) ? true : null;

    public string Name => Master.Name;

    /// <summary>A master nobody has reached yet: shown as unreachable, with the detail saying so.</summary>
    public static MasterState NotYetPolled(MasterInfo master) => new()
    {
        Master = master,
        Observed = master.Enabled ? MasterStatus.Unreachable : MasterStatus.Disabled,
        ObservedDetail = master.Enabled ? "not polled yet" : "disabled in the inventory",
        Repos = [.. master.Repos.Select(r => new RepoState(r.Name, r.Dir, r.Branch, null, null, null, null))],
    };
}
