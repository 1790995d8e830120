using Wrangler.Core.Fleet;
using Wrangler.Core.Workers;

namespace Wrangler.Dashboard.Model;

/// <summary>The Workers page's filters; null means any.</summary>
public sealed record WorkerFilter(string? Pool, string? Master, WorkerStatus? State, Liveness? Liveness);

/// <summary>One pool's workers, stale first, with the sums its header shows against the pool's size.</summary>
public sealed record PoolGroup(string Pool, IReadOnlyList<WorkerRow> Workers, int Size, int Connected, int Busy, int Paused, int Missing);

/// <summary>A worker and why it is listed early (null: not stale).</summary>
public sealed record WorkerRow(WorkerView Worker, string? Stale);

public static class WorkerGroups
{
    /// <summary>
    /// Groups by pool; within a pool stale workers come first: never connected, missing, configured nowhere,
    /// attached to a master that is out of sync or disabled. The sums count the whole pool, not just what the filter shows.
    /// </summary>
    public static IReadOnlyList<PoolGroup> Group(IReadOnlyList<WorkerView> workers, WorkerFilter filter, IReadOnlyList<MasterState> masters)
    {
        var byName = masters.ToDictionary(m => m.Name, StringComparer.Ordinal);
        return [.. workers.GroupBy(w => w.Pool, StringComparer.Ordinal)
            .Where(g => filter.Pool is null || g.Key == filter.Pool)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var rows = g.Where(w => Matches(w, filter))
                    .Select(w => (w, stale: Stale(w, byName)))
                    .OrderBy(x => x.stale.Rank).ThenBy(x => x.w.Name, StringComparer.Ordinal)
                    .Select(x => new WorkerRow(x.w, x.stale.Why))
                    .ToList();
                return new PoolGroup(g.Key, rows, g.Count(),
                    g.Count(w => w.ConnectedTo.Count > 0),
                    g.Count(w => w.State == WorkerStatus.Busy),
                    g.Count(w => w.Paused),
                    g.Count(w => w.ConnectedTo.Count == 0 && w.Liveness == Liveness.Critical));
            })
            .Where(p => p.Workers.Count > 0)];
    }

    private static bool Matches(WorkerView w, WorkerFilter f) =>
        (f.Master is null || w.ConnectedTo.Contains(f.Master) || w.ConfiguredOn.Contains(f.Master))
        && (f.State is null || w.State == f.State)
        && (f.Liveness is null || w.Liveness == f.Liveness);

    private static (int Rank, string? Why) Stale(WorkerView w, Dictionary<string, MasterState> masters)
    {
        if (w.LastConnectedAt is null && w.ConnectedTo.Count == 0)
        {
            return (0, "never connected");
        }

        if (w.ConnectedTo.Count == 0 && w.Liveness == Liveness.Critical)
        {
            return (1, "missing");
        }

        if (w.ConfiguredOn.Count == 0)
        {
            return (2, "configured nowhere");
        }

        foreach (var name in w.ConnectedTo.Concat(w.ConfiguredOn))
        {
            if (masters.TryGetValue(name, out var m) && (!m.Master.Enabled || m.InSync == false))
            {
                return (3, !m.Master.Enabled ? $"{name} is disabled" : $"{name} is out of sync");
            }
        }

        return (4, null);
    }

    public static string Word(WorkerStatus s) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(s.ToString());

    public static string Word(Liveness l) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(l.ToString());

    public static string Tone(WorkerStatus s) => s switch
    {
        WorkerStatus.Disconnected => "wr-bad",
        WorkerStatus.ShuttingDown => "wr-progress",
        WorkerStatus.Paused => "wr-warn",
        WorkerStatus.Busy => "wr-ok",
        _ => "wr-idle",
    };

    public static string Tone(Liveness l) => l switch
    {
        Liveness.Critical => "wr-bad",
        Liveness.Warning => "wr-warn",
        Liveness.ExpectedIdle => "wr-idle",
        _ => "wr-ok",
    };

    /// <summary>Each state its own shape as well as its colour (colour blindness, dark theme).</summary>
    public static string Icon(WorkerStatus s) => s switch
    {
        WorkerStatus.Disconnected => MudBlazor.Icons.Material.Filled.LinkOff,
        WorkerStatus.ShuttingDown => MudBlazor.Icons.Material.Filled.PowerSettingsNew,
        WorkerStatus.Paused => MudBlazor.Icons.Material.Filled.PauseCircle,
        WorkerStatus.Busy => MudBlazor.Icons.Material.Filled.Construction,
        _ => MudBlazor.Icons.Material.Filled.RadioButtonUnchecked,
    };

    public static string Icon(Liveness l) => l switch
    {
        Liveness.Critical => MudBlazor.Icons.Material.Filled.Error,
        Liveness.Warning => MudBlazor.Icons.Material.Filled.Warning,
        Liveness.ExpectedIdle => MudBlazor.Icons.Material.Filled.Bedtime,
        _ => MudBlazor.Icons.Material.Filled.CheckCircle,
    };

    public static string ResultTone(string? result) => result switch
    {
        "success" => "wr-text-ok",
        "warnings" or "skipped" or "retry" or "cancelled" => "wr-text-warn",
        null => "",
        _ => "wr-text-bad",
    };
}
