using Wrangler.Core.Sync;

namespace Wrangler.Core.Workers;

/// <summary>
/// The workers as one Nagios service: CRITICAL naming every critical worker, WARNING naming the warnings;
/// expected-idle workers are counted but never alarm. Plugin text <c>STATE - summary|perfdata</c>.
/// </summary>
public static class WorkerCheck
{
    public static NagiosResult Evaluate(IReadOnlyList<WorkerView> workers, string? scope)
    {
        var critical = workers.Where(w => w.Liveness == Liveness.Critical).ToList();
        var warning = workers.Where(w => w.Liveness == Liveness.Warning).ToList();
        var idle = workers.Count(w => w.Liveness == Liveness.ExpectedIdle);
        var state = critical.Count > 0 ? NagiosState.Critical : warning.Count > 0 ? NagiosState.Warning : NagiosState.Ok;
        var parts = new List<string>();
        if (critical.Count > 0)
        {
            parts.Add($"{critical.Count} critical: {Names(critical)}");
        }

        if (warning.Count > 0)
        {
            parts.Add($"{warning.Count} warning: {Names(warning)}");
        }

        if (parts.Count == 0)
        {
            parts.Add($"{workers.Count} worker(s){(scope is null ? "" : " in " + scope)}, none missing or stalled");
        }

        if (idle > 0)
        {
            parts.Add($"{idle} expected idle");
        }

        var connected = workers.Count(w => w.ConnectedTo.Count > 0);
        var busy = workers.Count(w => w.State == WorkerStatus.Busy);
        var perf = $"workers={workers.Count};;;0 connected={connected};;;0 busy={busy};;;0 critical={critical.Count};;;0 warning={warning.Count};;;0 expected_idle={idle};;;0";
        var text = string.Join("; ", parts).ReplaceLineEndings(" ").Replace('|', '/');
        return new NagiosResult(state, $"{NagiosCheck.Label(state)} - {text}|{perf}");
    }

    private static string Names(List<WorkerView> ws) =>
        string.Join(", ", ws.Take(20).Select(w => $"{w.Name} ({w.LivenessDetail})")) + (ws.Count > 20 ? $" and {ws.Count - 20} more" : "");
}
