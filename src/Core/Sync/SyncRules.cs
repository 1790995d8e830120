using System.Collections.Immutable;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Sync;

/// <summary>The production tip of one repo and branch, and when Wrangler first saw it there.</summary>
public sealed record TipMove(string Repo, string Branch, string Revision, DateTimeOffset MovedAt);

/// <summary>The freeze in force: who, why, since when.</summary>
public sealed record FreezeView(long Id, string SetBy, string Reason, DateTimeOffset SetAt);

/// <summary>The last campaign auto-reconfig started, with the tips it was for.</summary>
public sealed record LastAutoReconfig(long CampaignId, string Tips, CampaignState State, string? Detail, ImmutableArray<string> Masters)
{
    public bool IsActive => State is CampaignState.AwaitingApproval or CampaignState.Running or CampaignState.Paused;
}

public enum CiVerdict
{
    NotConfigured,
    NotChecked,
    Green,
    NotGreen,
}

public enum SyncAction
{
    Off,
    InSync,
    Frozen,
    Busy,
    FailedTip,
    Quiet,
    Supersede,
    NothingReachable,
    NeedCi,
    CiNotGreen,
    Start,
}

/// <summary>What the watcher does now and why, in words for the page.</summary>
public sealed record SyncDecision(SyncAction Action, string Reason, DateTimeOffset? Until = null, long? Campaign = null)
{
    public ImmutableArray<string> Masters { get; init; } = [];
}

public sealed record SyncInputs(
    DateTimeOffset Now,
    bool AutoReconfig,
    TimeSpan QuietWindow,
    IReadOnlyList<TipMove> Tips,
    FreezeView? Freeze,
    IReadOnlyList<MasterState> Masters,
    LastAutoReconfig? Last,
    CiVerdict Ci,
    string? CiDetail = null);

/// <summary>The rules of auto-reconfig and of the drift alarm, pure so every case is a unit test.</summary>
public static class SyncRules
{
    /// <summary>The tips as one comparable string ("repo@branch=revision" lines, sorted).</summary>
    public static string TipsKey(IEnumerable<TipMove> tips) =>
        string.Join('\n', tips.Select(t => $"{t.Repo}@{t.Branch}={t.Revision}").Order(StringComparer.Ordinal));

    /// <summary>Tips as the masters' last polls report them (the fleet monitor reads them from the upstreams).</summary>
    public static IReadOnlyDictionary<(string Repo, string Branch), string> TipsOf(IEnumerable<MasterState> masters) =>
        masters.Where(m => m.Master.Enabled)
            .SelectMany(m => m.Repos)
            .Where(r => r.TipRevision is not null)
            .GroupBy(r => (r.Name, r.Branch))
            .ToDictionary(g => g.Key, g => g.First().TipRevision!);

    /// <summary>
    /// Keeps the time a tip was first seen; a tip that changes (or appears) gets <paramref name="now"/>. A tip missing
    /// from one read (an upstream that did not answer) keeps its clock rather than restarting the quiet window later.
    /// </summary>
    public static ImmutableArray<TipMove> Track(IReadOnlyList<TipMove> known, IReadOnlyDictionary<(string Repo, string Branch), string> tips, DateTimeOffset now) =>
    [
        .. tips.Select(kv => known.FirstOrDefault(k => k.Repo == kv.Key.Repo && k.Branch == kv.Key.Branch) is { } k && k.Revision == kv.Value
                ? k
                : new TipMove(kv.Key.Repo, kv.Key.Branch, kv.Value, now))
            .Concat(known.Where(k => !tips.ContainsKey((k.Repo, k.Branch))))
            .OrderBy(t => t.Repo, StringComparer.Ordinal).ThenBy(t => t.Branch, StringComparer.Ordinal),
    ];

    public static SyncDecision Decide(SyncInputs i)
    {
        var behind = i.Masters.Where(m => m.Master.Enabled && m.InSync == false).ToList();
        if (!i.AutoReconfig)
        {
            return new(SyncAction.Off, "auto-reconfig is off (Wrangler:Sync:AutoReconfig)" + (behind.Count > 0 ? $"; {behind.Count} master(s) behind" : ""));
        }

        if (behind.Count == 0)
        {
            return new(SyncAction.InSync, i.Tips.Count == 0 ? "no production tip known yet" : "every master is at the production tip");
        }

        if (i.Last is { IsActive: true } active)
        {
            return new(SyncAction.Busy, $"campaign {active.CampaignId} is {Wire(active.State)}", Campaign: active.CampaignId);
        }

        var key = TipsKey(i.Tips);
        if (i.Last is { } failed && failed.Tips == key && failed.State is CampaignState.Parked or CampaignState.Failed or CampaignState.Aborted)
        {
            // Trying the same tips again would fail the same way (or undo a person's abort): wait for a new tip.
            return new(SyncAction.FailedTip, $"campaign {failed.CampaignId} for these tips is {Wire(failed.State)}"
                + (failed.State == CampaignState.Aborted ? "" : " (see it for why)") + "; waiting for a new production tip", Campaign: failed.CampaignId);
        }

        if (i.Freeze is { } f)
        {
            return new(SyncAction.Frozen, $"frozen by {f.SetBy} since {f.SetAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC: {f.Reason}; {behind.Count} master(s) behind");
        }

        var lastMove = i.Tips.Count == 0 ? (DateTimeOffset?)null : i.Tips.Max(t => t.MovedAt);
        if (lastMove is { } moved && i.Now - moved < i.QuietWindow)
        {
            return new(SyncAction.Quiet, $"waiting for the repos to be quiet for {i.QuietWindow:c}", moved + i.QuietWindow);
        }

        if (i.Last is { State: CampaignState.Parked } parked)
        {
            return new(SyncAction.Supersede, $"campaign {parked.CampaignId} is parked on older tips; aborting it for the new ones", Campaign: parked.CampaignId);
        }

        var tried = i.Last is { } last && last.Tips == key ? last.Masters : [];
        var ready = behind.Where(m => m.Status == MasterStatus.Running && !tried.Contains(m.Name)).Select(m => m.Name).Order(StringComparer.Ordinal).ToImmutableArray();
        if (ready.Length == 0)
        {
            return new(SyncAction.NothingReachable, $"{behind.Count} master(s) behind, none running or not yet tried for these tips: "
                + string.Join(", ", behind.Select(m => $"{m.Name} ({FleetMonitor.Wire(m.Status)})")));
        }

        return i.Ci switch
        {
            CiVerdict.NotChecked => new(SyncAction.NeedCi, "asking CI") { Masters = ready },
            CiVerdict.NotGreen => new(SyncAction.CiNotGreen, "CI is not green" + (i.CiDetail is null ? "" : $": {i.CiDetail}")) { Masters = ready },
            _ => new(SyncAction.Start, $"reconfig {ready.Length} master(s) to the production tips") { Masters = ready },
        };
    }

    /// <summary>
    /// When each behind master was first seen behind: kept while it stays behind or its revision is unknown for a
    /// moment (a checkout being updated), dropped once it is in sync, disabled or gone.
    /// </summary>
    public static ImmutableDictionary<string, DateTimeOffset> BehindSince(IReadOnlyDictionary<string, DateTimeOffset> known, IEnumerable<MasterState> masters, DateTimeOffset now) =>
        masters.Where(m => m.Master.Enabled && (m.InSync == false || m.InSync is null && known.ContainsKey(m.Name)))
            .ToImmutableDictionary(m => m.Name, m => known.TryGetValue(m.Name, out var since) ? since : now, StringComparer.Ordinal);

    /// <summary>Masters behind for at least <paramref name="after"/>: the drift alarm.</summary>
    public static ImmutableArray<string> Drifting(IReadOnlyDictionary<string, DateTimeOffset> behindSince, DateTimeOffset now, TimeSpan after) =>
        [.. behindSince.Where(kv => now - kv.Value >= after).Select(kv => kv.Key).Order(StringComparer.Ordinal)];

    private static string Wire(CampaignState s) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(s.ToString());
}
