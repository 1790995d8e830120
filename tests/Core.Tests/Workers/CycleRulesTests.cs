using Wrangler.Core.Sync;
using Wrangler.Core.Workers;

namespace Wrangler.Core.Tests.Workers;

/// <summary>Liveness of runner-managed workers (docs/runner.md) and the grouping of cycle reports into cycles.</summary>
public sealed class CycleRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly WorkerOptions Options = new() { MissingAfter = TimeSpan.FromHours(1), CycleDeadline = TimeSpan.FromHours(7) };

    private static WorkerView Worker(bool connected, string? phase, DateTimeOffset? phaseAt, DateTimeOffset? cycleStart, string? detail = null) => new()
    {
        Name = "tst-linux64-001",
        Pool = "tst-linux64",
        ConnectedTo = connected ? ["bm01"] : [],
        ConfiguredOn = ["bm01"],
        RunningBuilds = [],
        FirstSeenAt = Now.AddDays(-10),
        LastDisconnectedAt = connected ? null : phaseAt,
        LastCycleAt = cycleStart,
        CyclePhase = phase,
        CyclePhaseAt = phaseAt,
        CycleStartedAt = cycleStart,
        CycleDetail = detail,
    };

    [Fact]
    public void A_halted_runner_is_critical_at_once_with_the_task_and_its_output()
    {
        var w = Worker(false, "halted", Now.AddSeconds(-3), Now.AddSeconds(-10), "preflight task 20-puppet exited 3 (halt); the worker stays stopped\npuppet: catalog failed");
        var (l, detail) = WorkerRules.LivenessOf(w, Now, Options);
        Assert.Equal(Liveness.Critical, l);
        Assert.Contains("runner halted 3s ago", detail);
        Assert.Contains("20-puppet", detail);
        Assert.Contains("puppet: catalog failed", detail);
        Assert.DoesNotContain("\n", detail);

        var check = WorkerCheck.Evaluate([w with { Liveness = l, LivenessDetail = detail }], null);
        Assert.Equal(NagiosState.Critical, check.State);
        Assert.Contains("tst-linux64-001 (runner halted", check.Text);
    }

    [Fact]
    public void A_cycle_that_has_not_restarted_within_the_deadline_is_critical_naming_its_phase()
    {
        // Connected and building for 8 h: the old rule (last connection) alone would call it fine if it reconnected.
        var w = Worker(true, "shutdownRequested", Now.AddHours(-2), Now.AddHours(-8));
        var (l, detail) = WorkerRules.LivenessOf(w, Now, Options);
        Assert.Equal(Liveness.Critical, l);
        Assert.Equal("cycle stuck in shutdownRequested for 2h (cycle started 8h ago, deadline 7h)", detail);

        Assert.Equal(Liveness.Ok, WorkerRules.LivenessOf(w with { CycleStartedAt = Now.AddHours(-6), LastCycleAt = Now.AddHours(-6) }, Now, Options).Liveness);
    }

    [Fact]
    public void A_runner_in_its_pre_flight_is_a_disconnected_worker_like_any_other()
    {
        var w = Worker(false, "preflight", Now.AddMinutes(-10), Now.AddMinutes(-10));
        Assert.Equal(Liveness.Warning, WorkerRules.LivenessOf(w, Now, Options).Liveness);
    }

    [Fact]
    public void Reports_group_into_cycles_newest_first_each_phase_lasting_until_the_next()
    {
        var t0 = Now.AddMinutes(-30);
        string[] phases = ["preflight", "started", "connected", "shutdownRequested", "stopped", "postflight", "preflight", "started"];
        int[] minutes = [0, 2, 3, 10, 12, 13, 15, 16];
        var reports = phases.Select((p, i) => new CycleReportView(i + 1, p, null, t0.AddMinutes(minutes[i]), Now)).Reverse().ToList();

        var cycles = CycleReports.Group(reports, Now);

        Assert.Equal(2, cycles.Count);
        Assert.Equal(["preflight", "started"], cycles[0].Phases.Select(p => p.Phase));
        Assert.True(cycles[0].Phases[^1].Current);
        Assert.Equal(TimeSpan.FromMinutes(14), cycles[0].Phases[^1].Took);
        var first = cycles[1];
        Assert.Equal("postflight", first.Phase);
        Assert.Equal([2, 1, 7, 2, 1, 2], first.Phases.Select(p => (int)p.Took.TotalMinutes));
        Assert.All(first.Phases, p => Assert.False(p.Current));
        Assert.Equal(TimeSpan.FromMinutes(15), first.Took);
    }
}
