namespace Wrangler.Core.Sync;

/// <summary><c>Wrangler:Sync</c>: reconfigs that follow production, the freeze, the drift alarm, the production log.</summary>
public sealed class SyncOptions
{
    public const string SectionName = "Wrangler:Sync";

    /// <summary>Start reconfig campaigns by itself when production moves. Off unless a deployment says so.</summary>
    public bool AutoReconfig { get; set; }

    /// <summary>Every watched repo must have been quiet this long, so a change across repos lands as one reconfig.</summary>
    public TimeSpan QuietWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A master out of sync this long is flagged, and the Nagios check goes CRITICAL.</summary>
    public TimeSpan DriftAlarmAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Optional CI status: green is HTTP 2xx whose body, when it is a JSON object with a <c>state</c> (or <c>status</c>),
    /// says <c>success</c>; anything else (other codes, other states, no answer) holds automatic reconfigs back.
    /// </summary>
    public string? CiStatusUrl { get; set; }

    /// <summary>Bug links on the production page, <c>{id}</c> replaced by the number, e.g. https://bugzilla.mozilla.org/show_bug.cgi?id={id}.</summary>
    public string? BugUrl { get; set; }

    /// <summary>Where local mirrors of the upstreams live (ancestry, commit messages). Default: <c>upstream/</c> beside the database.</summary>
    public string? MirrorDir { get; set; }

    /// <summary>The policy of the campaigns auto-reconfig starts (approval is always "none").</summary>
    public SyncPolicyOptions Policy { get; set; } = new();
}

public sealed class SyncPolicyOptions
{
    public int PerBucket { get; set; } = 1;
    public int MaxParallel { get; set; } = 8;
    public int FailureThreshold { get; set; } = 1;
}
