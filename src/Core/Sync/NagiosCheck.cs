using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Sync;

public enum NagiosState
{
    Ok = 0,
    Warning = 1,
    Critical = 2,
}

public sealed record NagiosResult(NagiosState State, string Text);

/// <summary>
/// The fleet as one Nagios service: CRITICAL for masters past the drift alarm (WARNING while a freeze explains
/// it) and for an auto-reconfig that parked or failed; WARNING for unreachable enabled masters. Plugin text:
/// <c>STATE - summary|perfdata</c>.
/// </summary>
public static class NagiosCheck
{
    public static NagiosResult Evaluate(IReadOnlyList<MasterState> masters, SyncStatus sync, DateTimeOffset now)
    {
        var critical = new List<string>();
        var warning = new List<string>();
        var enabled = masters.Where(m => m.Master.Enabled).ToList();
        if (sync.Drifting.Length > 0)
        {
            var names = string.Join(", ", sync.Drifting.Select(n => $"{n} ({Behind(masters, n)}, {Span(now - sync.BehindSince.GetValueOrDefault(n, now))})"));
            (sync.Freeze is null ? critical : warning).Add($"out of sync for over {Span(sync.DriftAlarmAfter)}: {names}"
                + (sync.Freeze is null ? "" : $" (frozen by {sync.Freeze.SetBy}: {sync.Freeze.Reason})"));
        }

        if (sync.Last is { State: CampaignState.Parked or CampaignState.Failed } bad && sync.Decision.Action == SyncAction.FailedTip)
        {
            critical.Add($"auto-reconfig campaign {bad.CampaignId} {bad.State.ToString().ToLowerInvariant()}" + (bad.Detail is null ? "" : ": " + Clip(OneLine(bad.Detail), 200)));
        }

        var unreachable = enabled.Where(m => m.Status == MasterStatus.Unreachable).Select(m => m.Name).ToList();
        if (unreachable.Count > 0)
        {
            warning.Add($"unreachable: {string.Join(", ", unreachable)}");
        }

        var behind = enabled.Count(m => m.InSync == false);
        var state = critical.Count > 0 ? NagiosState.Critical : warning.Count > 0 ? NagiosState.Warning : NagiosState.Ok;
        var summary = critical.Concat(warning).ToList();
        if (summary.Count == 0)
        {
            summary.Add(behind == 0 ? $"{enabled.Count} master(s), all at the production tip" : $"{enabled.Count} master(s), {behind} catching up with production");
        }

        if (sync.Freeze is { } f && state == NagiosState.Ok)
        {
            summary.Add($"auto-reconfig frozen by {f.SetBy}: {OneLine(f.Reason)}");
        }

        var perf = $"masters={enabled.Count};;;0 out_of_sync={behind};;;0 drifting={sync.Drifting.Length};;;0 unreachable={unreachable.Count};;;0";
        return new NagiosResult(state, $"{Label(state)} - {OneLine(string.Join("; ", summary))}|{perf}");
    }

    public static string Label(NagiosState s) => s switch
    {
        NagiosState.Ok => "OK",
        NagiosState.Warning => "WARNING",
        _ => "CRITICAL",
    };

    private static string Behind(IReadOnlyList<MasterState> masters, string name) =>
        string.Join(" ", masters.FirstOrDefault(m => m.Name == name)?.Repos.Where(r => r.InSync == false).Select(r => r.Name) ?? []) is { Length: > 0 } s ? s : "behind";

    private static string Clip(string s, int max) => s.Length > max ? s[..max] + "…" : s;

    // The plugin output is one line, and '|' starts the performance data.
    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Replace('|', '/');

    private static string Span(TimeSpan t) =>
        t.TotalSeconds < 90 ? $"{Math.Max(0, t.TotalSeconds):0}s" : t.TotalMinutes < 90 ? $"{t.TotalMinutes:0}m" : $"{t.TotalHours:0.#}h";
}
