using System.Text.RegularExpressions;

namespace Wrangler.Core.Workers;

/// <summary>Pool names, state and liveness: pure rules, one place.</summary>
public static partial class WorkerRules
{
    private static readonly string[] Results = ["success", "warnings", "failure", "skipped", "exception", "retry", "cancelled"];

    /// <summary><c>tst-linux64-ec2-0123</c> → <c>tst-linux64-ec2</c>, unless the pattern's first group says otherwise.</summary>
    public static string PoolOf(string name, Regex? pattern)
    {
        if (pattern?.Match(name) is { Success: true } m && m.Groups.Count > 1 && m.Groups[1].Success)
        {
            return m.Groups[1].Value;
        }

        var stripped = TrailingNumber().Replace(name, "");
        return stripped.Length == 0 ? name : stripped;
    }

    /// <summary>Buildbot's result code as the contract's word (BUILDBOT.md §3).</summary>
    public static string? ResultWord(int? code) => code is int c && c >= 0 && c < Results.Length ? Results[c] : code is null ? null : "unknown";

    public static WorkerStatus StateOf(bool connected, bool graceful, bool paused, bool busy) =>
        !connected ? WorkerStatus.Disconnected
        : graceful ? WorkerStatus.ShuttingDown
        : paused ? WorkerStatus.Paused
        : busy ? WorkerStatus.Busy
        : WorkerStatus.Idle;

    /// <summary>
    /// CRITICAL: configured on an enabled master and disconnected past <see cref="WorkerOptions.MissingAfter"/>, or no
    /// (re)connection, build start or reported cycle for longer than <see cref="WorkerOptions.CycleDeadline"/>.
    /// WARNING: disconnected for less, or connected but configured nowhere. An unexpired expected-idle mark wins.
    /// A runner-managed worker (one that reports its cycle) is CRITICAL at once when its runner halted, and when its
    /// cycle has not restarted (no pre-flight) within the deadline, naming the phase it is stuck in.
    /// </summary>
    public static (Liveness Liveness, string? Detail) LivenessOf(WorkerView w, DateTimeOffset now, WorkerOptions options)
    {
        if (w.ExpectedIdle is { } idle && idle.Until > now)
        {
            return (Liveness.ExpectedIdle, $"expected idle until {idle.Until.UtcDateTime:yyyy-MM-dd HH:mm} UTC (by {idle.By}: {idle.Reason})");
        }

        // A halting task stands in for a reboot a person must look at (docs/runner.md): CRITICAL at once, with its output.
        if (w.CyclePhase == "halted")
        {
            var detail = (w.CycleDetail ?? "no detail").ReplaceLineEndings(" ");
            return (Liveness.Critical, $"runner halted {Span(now - (w.CyclePhaseAt ?? now))} ago: {(detail.Length > 500 ? detail[..500] + "…" : detail)}");
        }

        if (w.CycleStartedAt is { } cycleStart && now - cycleStart > options.CycleDeadline)
        {
            return (Liveness.Critical, $"cycle stuck in {w.CyclePhase} for {Span(now - (w.CyclePhaseAt ?? cycleStart))} (cycle started {Span(now - cycleStart)} ago, deadline {Span(options.CycleDeadline)})");
        }

        var connected = w.ConnectedTo.Count > 0;
        if (!connected && w.ConfiguredOn.Count > 0)
        {
            var since = w.LastDisconnectedAt ?? w.FirstSeenAt;
            var gone = now - since;
            var what = w.LastDisconnectedAt is null ? "never connected" : "disconnected";
            return gone > options.MissingAfter
                ? (Liveness.Critical, $"{what} for {Span(gone)} (missing after {Span(options.MissingAfter)})")
                : (Liveness.Warning, $"{what} for {Span(gone)}");
        }

        var cycle = w.LastCycleAt ?? w.FirstSeenAt;
        if (w.CycleStartedAt is null && now - cycle > options.CycleDeadline)
        {
            return (Liveness.Critical, $"no connection or build start for {Span(now - cycle)} (deadline {Span(options.CycleDeadline)})");
        }

        if (connected && w.ConfiguredOn.Count == 0)
        {
            return (Liveness.Warning, "connected but configured on no enabled master");
        }

        return (Liveness.Ok, null);
    }

    public static string Span(TimeSpan t) =>
        t.TotalSeconds < 90 ? $"{Math.Max(0, t.TotalSeconds):0}s" : t.TotalMinutes < 90 ? $"{t.TotalMinutes:0}m" : $"{t.TotalHours:0.#}h";

    [GeneratedRegex(@"-\d+$")]
    private static partial Regex TrailingNumber();
}
