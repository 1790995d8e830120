using System.Text.RegularExpressions;
using Wrangler.Core.Workers;

namespace Wrangler.Core.Tests.Workers;

public sealed class WorkerRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly WorkerOptions Options = new() { MissingAfter = TimeSpan.FromHours(1), CycleDeadline = TimeSpan.FromHours(7) };

    [Theory]
    [InlineData("tst-linux64-ec2-0123", null, "tst-linux64-ec2")]
    [InlineData("bld-lion-r5-087", null, "bld-lion-r5")]
    [InlineData("m1-w1", null, "m1-w1")]
    [InlineData("t-w732-ix-117", @"^(t-w\d+)-", "t-w732")]
    [InlineData("odd", @"^(t-w\d+)-", "odd")]
    public void Pool_is_the_name_less_its_trailing_number_unless_the_pattern_says_otherwise(string name, string? pattern, string pool) =>
        Assert.Equal(pool, WorkerRules.PoolOf(name, pattern is null ? null : new Regex(pattern)));

    [Theory]
    [InlineData(false, true, true, true, WorkerStatus.Disconnected)]
    [InlineData(true, true, true, true, WorkerStatus.ShuttingDown)]
    [InlineData(true, false, true, true, WorkerStatus.Paused)]
    [InlineData(true, false, false, true, WorkerStatus.Busy)]
    [InlineData(true, false, false, false, WorkerStatus.Idle)]
    public void State_is_the_first_that_holds(bool connected, bool graceful, bool paused, bool busy, WorkerStatus expected) =>
        Assert.Equal(expected, WorkerRules.StateOf(connected, graceful, paused, busy));

    [Theory]
    [InlineData(0, "success")]
    [InlineData(1, "warnings")]
    [InlineData(2, "failure")]
    [InlineData(3, "skipped")]
    [InlineData(4, "exception")]
    [InlineData(5, "retry")]
    [InlineData(6, "cancelled")]
    public void Results_are_words(int code, string word) => Assert.Equal(word, WorkerRules.ResultWord(code));

    [Fact]
    public void Disconnected_past_MissingAfter_is_critical_and_before_it_a_warning()
    {
        var w = Worker(connected: false) with { LastDisconnectedAt = Now.AddMinutes(-61), LastConnectedAt = Now.AddHours(-2) };
        var (l, detail) = WorkerRules.LivenessOf(w, Now, Options);
        Assert.Equal(Liveness.Critical, l);
        Assert.Contains("disconnected for 61m", detail);

        Assert.Equal(Liveness.Warning, WorkerRules.LivenessOf(w with { LastDisconnectedAt = Now.AddMinutes(-5) }, Now, Options).Liveness);
    }

    [Fact]
    public void A_worker_that_never_connected_counts_from_when_Wrangler_first_saw_it()
    {
        var w = Worker(connected: false) with { FirstSeenAt = Now.AddHours(-2) };
        var (l, detail) = WorkerRules.LivenessOf(w, Now, Options);
        Assert.Equal(Liveness.Critical, l);
        Assert.Contains("never connected", detail);
    }

    [Fact]
    public void No_connection_or_build_start_for_longer_than_the_cycle_deadline_is_critical()
    {
        var w = Worker(connected: true) with { LastCycleAt = Now.AddHours(-8) };
        Assert.Equal(Liveness.Critical, WorkerRules.LivenessOf(w, Now, Options).Liveness);
        Assert.Equal(Liveness.Ok, WorkerRules.LivenessOf(w with { LastCycleAt = Now.AddHours(-6) }, Now, Options).Liveness);
    }

    [Fact]
    public void An_unexpired_expected_idle_mark_is_never_alarmed_and_an_expired_one_is()
    {
        var w = Worker(connected: false) with { LastDisconnectedAt = Now.AddDays(-3), ExpectedIdle = new("spare for the release", "buildduty", Now.AddHours(1)) };
        var (l, detail) = WorkerRules.LivenessOf(w, Now, Options);
        Assert.Equal(Liveness.ExpectedIdle, l);
        Assert.Contains("spare for the release", detail);

        Assert.Equal(Liveness.Critical, WorkerRules.LivenessOf(w with { ExpectedIdle = w.ExpectedIdle! with { Until = Now.AddMinutes(-1) } }, Now, Options).Liveness);
    }

    [Fact]
    public void The_check_is_critical_naming_the_worker_and_leaves_expected_idle_ones_out()
    {
        var missing = Worker(connected: false, "tst-linux64-ec2-001") with { Liveness = Liveness.Critical, LivenessDetail = "disconnected for 2h" };
        var spare = Worker(connected: false, "tst-linux64-ec2-002") with { Liveness = Liveness.ExpectedIdle, LivenessDetail = "expected idle" };
        var ok = Worker(connected: true, "tst-linux64-ec2-003");
        var r = WorkerCheck.Evaluate([missing, spare, ok], null);
        Assert.Equal(Core.Sync.NagiosState.Critical, r.State);
        Assert.StartsWith("CRITICAL - 1 critical: tst-linux64-ec2-001 (disconnected for 2h)", r.Text);
        Assert.DoesNotContain("tst-linux64-ec2-002", r.Text);
        Assert.EndsWith("|workers=3;;;0 connected=1;;;0 busy=0;;;0 critical=1;;;0 warning=0;;;0 expected_idle=1;;;0", r.Text);

        Assert.Equal(Core.Sync.NagiosState.Ok, WorkerCheck.Evaluate([spare, ok], null).State);
    }

    private static WorkerView Worker(bool connected, string name = "w-1") => new()
    {
        Name = name,
        Pool = "w",
        ConnectedTo = connected ? ["bm01"] : [],
        ConfiguredOn = ["bm01"],
        RunningBuilds = [],
        FirstSeenAt = Now.AddDays(-10),
        LastCycleAt = Now.AddMinutes(-1),
    };
}
