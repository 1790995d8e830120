using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Tests.Campaigns.Engine;

/// <summary>
/// Every campaign path through the real engine, on the demo fleet with a fake clock: seconds, not lab minutes.
/// The lab tests (tests/Dashboard.Tests/Campaigns) prove the same against real masters.
/// </summary>
public sealed class EngineTests : IDisposable
{
    // Two masters of one bucket (so they go one after the other) and one of another.
    private const string A = "bm01-tests1-linux32";
    private const string B = "bm02-tests1-linux32";
    private const string C = "bm70-build1";

    private readonly World world = new();

    public void Dispose() => world.Dispose();

    [Fact]
    public async Task A_restart_runs_every_step_and_leaves_nothing_behind()
    {
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Restart, [A, C]);
        Assert.Equal(CampaignState.AwaitingApproval, c.State);
        await e.CommandAsync(c.Id, CampaignCommand.Approve);

        var done = await e.UntilOverAsync(c.Id);

        Assert.Equal(CampaignState.Succeeded, done.State);
        Assert.All(done.Masters, m =>
        {
            Assert.Equal(MasterRunState.Succeeded, m.State);
            Assert.All(m.Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        });
        Assert.Empty(await e.OpenLedgerAsync(c.Id));
        Assert.All(new[] { A, C }, n => Assert.Equal((true, false), (world.Facts(n).Alive, world.Facts(n).Locked)));
    }

    [Fact]
    public async Task A_named_reconfig_reconfigures_every_master_named_and_records_the_revision_each_went_to()
    {
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Reconfig, [A, C]);
        Assert.Equal(2, c.Plan.Waves.SelectMany(w => w).Count());
        Assert.Empty(c.Plan.Excluded);
        await e.CommandAsync(c.Id, CampaignCommand.Approve);

        var done = await e.UntilOverAsync(c.Id);

        Assert.Equal(CampaignState.Succeeded, done.State);
        Assert.All(done.Masters, m => Assert.Contains("buildbot-configs ", m.Steps.Single(s => s.Kind == StepKind.UpdateRepos).Detail));
        Assert.All(done.Masters, m => Assert.Contains(" → ", m.Steps.Single(s => s.Kind == StepKind.UpdateRepos).Detail));
        Assert.Empty(await e.OpenLedgerAsync(c.Id));
    }

    [Fact]
    public async Task A_drain_past_its_timeout_holds_cannot_be_skipped_and_escalate_hard_stops_it()
    {
        using var busy = new World(World.Afternoon);
        var m = busy.Fleet.Masters.First(x => x.Role == MasterRole.Tests && x.Enabled
            && busy.Fleet.Api(x).GetRunningBuildsAsync().GetAwaiter().GetResult().Count > 0);
        await using var e = await Engine.StartAsync(busy);
        var c = await e.CreateAsync(CampaignKind.GracefulRestart, [m.Name], new CampaignPolicy { DrainTimeout = TimeSpan.FromMinutes(1) });
        await e.CommandAsync(c.Id, CampaignCommand.Approve);

        var held = await e.UntilAsync(c.Id, x => x.Masters[0].State == MasterRunState.Held, "a held drain");
        Assert.Contains("drain timed out", held.Masters[0].Steps.Single(s => s.Kind == StepKind.Drain).Detail);
        var refused = await Assert.ThrowsAsync<CampaignRefusedException>(() => e.DecideAsync(c.Id, m.Name, MasterDecision.Skip));
        Assert.Contains("cannot skip", refused.Message);

        await e.DecideAsync(c.Id, m.Name, MasterDecision.Escalate);
        var done = await e.UntilOverAsync(c.Id);

        Assert.Equal(CampaignState.Succeeded, done.State);
        Assert.StartsWith("escalated", done.Masters[0].Steps.Single(s => s.Kind == StepKind.Drain).Detail);
        Assert.Null(done.Masters[0].PendingDecision);
        Assert.Empty(await e.OpenLedgerAsync(c.Id));
        Assert.True(busy.Facts(m.Name).Alive);
    }

    [Fact]
    public async Task The_next_masters_pre_check_runs_while_the_one_before_it_is_out_of_service_and_it_stays_in_service_until_its_turn()
    {
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Restart, [A, B]);
        var (first, second) = c.Plan.Waves[0].Contains(A) ? (A, B) : (B, A);
        var stopsBefore = world.Facts(second).Stops;
        await e.CommandAsync(c.Id, CampaignCommand.Approve);

        // The first master is out of service (stopped, not yet verified); the second has been pre-checked meanwhile.
        var during = await e.UntilAsync(c.Id, x =>
            x.Masters.Single(m => m.Name == first).Steps.Single(s => s.Kind == StepKind.HardStop).State == StepState.Succeeded
            && x.Masters.Single(m => m.Name == second).Steps.Single(s => s.Kind == StepKind.PreCheck).State == StepState.Succeeded,
            "the second pre-checked while the first is down");
        var waiting = during.Masters.Single(m => m.Name == second);
        Assert.Equal(MasterRunState.Pending, waiting.State);
        Assert.All(waiting.Steps.Where(s => s.Kind != StepKind.PreCheck), s => Assert.Equal(StepState.Pending, s.State));
        Assert.Contains("(run ahead)", waiting.Steps.Single(s => s.Kind == StepKind.PreCheck).Detail);
        Assert.Equal(stopsBefore, world.Facts(second).Stops);
        Assert.True(world.Facts(second).Alive);

        var done = await e.UntilOverAsync(c.Id);

        Assert.Equal(CampaignState.Succeeded, done.State);
        var a = done.Masters.Single(m => m.Name == first);
        var b = done.Masters.Single(m => m.Name == second);
        var firstBackInService = a.Steps.Single(s => s.Kind == StepKind.Verify).EndedAt!.Value;
        var secondOutOfService = b.Steps.Where(s => s.Kind != StepKind.PreCheck).Min(s => s.StartedAt!.Value);
        // When it ends depends on how the fake clock and the engine's tasks interleave on a loaded machine; what run-ahead
        // promises is that it began while the first was still out of service.
        Assert.True(b.Steps.Single(s => s.Kind == StepKind.PreCheck).StartedAt < firstBackInService,
            "the second master's pre-check began while the first was out of service");
        Assert.True(secondOutOfService >= firstBackInService, $"the second went out of service at {secondOutOfService:O}, before the first was back at {firstBackInService:O}");
        Assert.All(b.Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        Assert.Empty(await e.OpenLedgerAsync(c.Id));
    }

    [Fact]
    public async Task A_failed_pre_check_of_the_next_master_leaves_the_current_one_alone_and_runs_again_at_its_turn()
    {
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Restart, [A, B]);
        var (first, second) = c.Plan.Waves[0].Contains(A) ? (A, B) : (B, A);
        world.Fleet.BreakConfig(second);
        var stopsBefore = world.Facts(second).Stops;
        await e.CommandAsync(c.Id, CampaignCommand.Approve);

        var during = await e.UntilAsync(c.Id, x => x.Masters.Single(m => m.Name == second).Steps.Single(s => s.Kind == StepKind.PreCheck).State == StepState.Failed,
            "the second master's pre-check, run ahead, failed");
        Assert.Equal(MasterRunState.Pending, during.Masters.Single(m => m.Name == second).State);
        Assert.Equal(MasterRunState.Running, during.Masters.Single(m => m.Name == first).State);
        Assert.Equal(CampaignState.Running, during.State);
        Assert.Contains("run ahead", during.Masters.Single(m => m.Name == second).Steps.Single(s => s.Kind == StepKind.PreCheck).Detail);

        // Its turn: the check runs again, fails again, and only then does the master fail and park the campaign.
        var parked = await e.UntilOverAsync(c.Id);

        Assert.Equal(CampaignState.Parked, parked.State);
        var a = parked.Masters.Single(m => m.Name == first);
        Assert.Equal(MasterRunState.Succeeded, a.State);
        Assert.All(a.Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        var b = parked.Masters.Single(m => m.Name == second);
        Assert.Equal(MasterRunState.Failed, b.State);
        var pre = b.Steps.Single(s => s.Kind == StepKind.PreCheck);
        Assert.Contains("checkconfig failed, nothing was touched", pre.Detail);
        Assert.DoesNotContain("run ahead", pre.Detail);
        Assert.True(pre.StartedAt >= a.EndedAt, "the failing check that failed the master ran at its own turn");
        Assert.All(b.Steps.Where(s => s.Kind != StepKind.PreCheck), s => Assert.Equal(StepState.Pending, s.State));
        Assert.Equal(stopsBefore, world.Facts(second).Stops);
        Assert.True(world.Facts(first).Alive);
        Assert.True(world.Facts(second).Alive);
    }

    [Fact]
    public async Task A_failed_master_parks_the_campaign_and_skip_undoes_nothing_it_did_not_do_and_lets_the_rest_run()
    {
        world.Fleet.BreakConfig(A);
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Restart, [A, B]);
        await e.CommandAsync(c.Id, CampaignCommand.Approve);

        var parked = await e.UntilAsync(c.Id, x => x.State == CampaignState.Parked, "parked");
        var failed = parked.Masters.Single(x => x.Name == A);
        Assert.Equal(MasterRunState.Failed, failed.State);
        Assert.Contains("checkconfig failed, nothing was touched", failed.Steps.Single(s => s.Kind == StepKind.PreCheck).Detail);
        Assert.Equal(MasterRunState.Pending, parked.Masters.Single(x => x.Name == B).State);

        await e.DecideAsync(c.Id, A, MasterDecision.Skip);
        await e.UntilAsync(c.Id, x => x.Masters.Single(m => m.Name == A).State == MasterRunState.Skipped, "A skipped");
        await e.CommandAsync(c.Id, CampaignCommand.Resume);
        var done = await e.UntilOverAsync(c.Id);

        Assert.Equal(CampaignState.Succeeded, done.State);
        Assert.Equal(MasterRunState.Succeeded, done.Masters.Single(x => x.Name == B).State);
        Assert.Contains("1 skipped", done.StateDetail);
        Assert.Empty(await e.OpenLedgerAsync(c.Id));
        Assert.True(world.Facts(A).Alive);
    }

    [Fact]
    public async Task Retry_after_a_fix_runs_the_failed_step_again_and_the_campaign_finishes()
    {
        world.Fleet.BreakConfig(A);
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Restart, [A]);
        await e.CommandAsync(c.Id, CampaignCommand.Approve);
        await e.UntilAsync(c.Id, x => x.State == CampaignState.Parked, "parked");

        world.Fleet.BreakConfig(A, broken: false);
        await e.DecideAsync(c.Id, A, MasterDecision.Retry);
        await e.UntilAsync(c.Id, x => x.Masters[0].State == MasterRunState.Succeeded, "the retried master done");
        Assert.Equal(CampaignState.Parked, (await e.GetAsync(c.Id)).State);
        await e.CommandAsync(c.Id, CampaignCommand.Resume);
        var done = await e.UntilOverAsync(c.Id);

        Assert.Equal(CampaignState.Succeeded, done.State);
        Assert.All(done.Masters[0].Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        Assert.Empty(await e.OpenLedgerAsync(c.Id));
    }

    [Fact]
    public async Task Abort_lets_the_master_in_flight_finish_skips_the_rest_and_cleans_up_a_failed_one()
    {
        world.Fleet.BreakConfig(C);
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Restart, [A, B, C], new CampaignPolicy { FailureThreshold = 5 });
        await e.CommandAsync(c.Id, CampaignCommand.Approve);
        await e.UntilAsync(c.Id, x => x.Masters.Single(m => m.Name == C).State == MasterRunState.Failed
            && x.Masters.Single(m => m.Name == A).Steps.Any(s => s.Kind == StepKind.HardStop && s.State != StepState.Pending), "A in its action, C failed");

        await e.CommandAsync(c.Id, CampaignCommand.Abort);
        var done = await e.UntilAsync(c.Id, x => x.EndedAt is not null, "the end");

        Assert.Equal(CampaignState.Aborted, done.State);
        Assert.Equal(MasterRunState.Succeeded, done.Masters.Single(m => m.Name == A).State);
        Assert.Equal(MasterRunState.Skipped, done.Masters.Single(m => m.Name == B).State);
        Assert.Equal("not started: campaign aborted", done.Masters.Single(m => m.Name == B).Detail);
        Assert.Equal(MasterRunState.Aborted, done.Masters.Single(m => m.Name == C).State);
        Assert.Empty(await e.OpenLedgerAsync(c.Id));
        Assert.All(new[] { A, B, C }, n => Assert.False(world.Facts(n).Locked));
    }

    [Fact]
    public async Task Pause_starts_nothing_new_until_resume()
    {
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Restart, [A, B]);
        await e.CommandAsync(c.Id, CampaignCommand.Approve);

        // Paused once one master is in flight (a pause before the runner started one would leave none to finish).
        await e.UntilAsync(c.Id, x => x.Masters.Any(m => m.State == MasterRunState.Running), "a master in flight");
        await e.CommandAsync(c.Id, CampaignCommand.Pause);

        await e.UntilAsync(c.Id, x => x.Masters.Any(m => m.State == MasterRunState.Succeeded), "the master in flight done");
        var start = world.Time.GetUtcNow();
        await e.PumpUntilAsync(() => world.Time.GetUtcNow() >= start.AddMinutes(10), "ten quiet minutes", step: TimeSpan.FromSeconds(10));
        var paused = await e.GetAsync(c.Id);
        Assert.Equal(CampaignState.Paused, paused.State);
        Assert.Single(paused.Masters, m => m.State == MasterRunState.Pending);

        await e.CommandAsync(c.Id, CampaignCommand.Resume);
        Assert.Equal(CampaignState.Succeeded, (await e.UntilOverAsync(c.Id)).State);
    }

    [Fact]
    public async Task With_approval_per_wave_each_approval_releases_one_wave_and_one_given_during_a_wave_changes_nothing()
    {
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Restart, [A, B], new CampaignPolicy { Approval = ApprovalMode.Wave });
        Assert.Equal(2, c.Plan.Waves.Length);
        await e.CommandAsync(c.Id, CampaignCommand.Approve);
        var second = await e.CommandAsync(c.Id, CampaignCommand.Approve); // while wave 1 runs
        Assert.Equal(0, second.ApprovedThroughWave);

        var first = c.Plan.Waves[0][0];
        await e.UntilAsync(c.Id, x => x.Masters.Single(m => m.Name == first).State == MasterRunState.Succeeded, "wave 1 done");
        var start = world.Time.GetUtcNow();
        await e.PumpUntilAsync(() => world.Time.GetUtcNow() >= start.AddMinutes(10), "ten quiet minutes", step: TimeSpan.FromSeconds(10));
        Assert.Single((await e.GetAsync(c.Id)).Masters, m => m.State == MasterRunState.Pending);

        await e.CommandAsync(c.Id, CampaignCommand.Approve);
        Assert.Equal(CampaignState.Succeeded, (await e.UntilOverAsync(c.Id)).State);
    }

    [Fact]
    public async Task When_a_schedules_window_closes_masters_not_started_are_skipped_and_named()
    {
        await using var e = await Engine.StartAsync(world);
        var notAfter = world.Time.GetUtcNow().AddSeconds(20);
        var c = await e.CreateAsync(CampaignKind.Restart, [A, B], new CampaignPolicy { Approval = ApprovalMode.None }, new CampaignOrigin(1, "bob", notAfter));
        Assert.Equal(CampaignState.Running, c.State);

        var done = await e.UntilOverAsync(c.Id);

        Assert.Equal(CampaignState.Succeeded, done.State);
        var skipped = Assert.Single(done.Masters, m => m.State == MasterRunState.Skipped);
        Assert.StartsWith("not started: the window closed", skipped.Detail);
        Assert.Contains("skipped: " + skipped.Name, done.StateDetail);
        Assert.Empty(await e.OpenLedgerAsync(c.Id));
    }

    [Fact]
    public async Task The_campaign_parks_at_the_failure_threshold_and_not_before()
    {
        world.Fleet.BreakConfig(A);
        world.Fleet.BreakConfig(C);
        await using var e = await Engine.StartAsync(world);
        var c = await e.CreateAsync(CampaignKind.Restart, [A, B, C], new CampaignPolicy { FailureThreshold = 2 });
        await e.CommandAsync(c.Id, CampaignCommand.Approve);

        var parked = await e.UntilAsync(c.Id, x => x.State == CampaignState.Parked, "parked");

        Assert.Equal(2, parked.Masters.Count(m => m.State == MasterRunState.Failed));
        Assert.Contains("2 master(s) failed (threshold 2)", parked.StateDetail);
        Assert.Equal(MasterRunState.Pending, parked.Masters.Single(m => m.Name == B).State); // its bucket stopped at A
    }

    /// <summary>
    /// Step-state saves of a graceful restart of one master: the first step's start, then one save per step that ends
    /// it and starts the next (the last one's ends the master), as CampaignRunner writes a step's success with the
    /// next change.
    /// </summary>
    public static TheoryData<int> Boundaries()
    {
        var data = new TheoryData<int>();
        var steps = CampaignStates.StepsFor(CampaignKind.GracefulRestart, MasterRole.Tests).Count;
        for (var n = 1; n <= steps + 1; n++)
        {
            data.Add(n);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Boundaries))]
    public async Task Killed_at_any_step_boundary_a_restarted_Wrangler_finishes_the_campaign_once_and_leaves_nothing_behind(int boundary)
    {
        // A short drain (then a hard stop) keeps the test about the crash.
        var idle = A;
        var policy = new CampaignPolicy { DrainTimeout = TimeSpan.FromSeconds(30), OnDrainTimeout = DrainTimeoutAction.HardStop };
        var stopsBefore = world.Facts(idle).Stops;
        long id;
        await using (var first = await Engine.StartAsync(world, crashAfterStepChanges: boundary))
        {
            var c = await first.CreateAsync(CampaignKind.GracefulRestart, [idle], policy);
            id = c.Id;
            await first.CommandAsync(id, CampaignCommand.Approve);
            await first.PumpUntilAsync(() => first.Crash.Dead, $"the crash after step change {boundary}", TimeSpan.FromMinutes(30));
        }

        await using var second = await Engine.StartAsync(world);
        var done = await second.UntilOverAsync(id);

        Assert.True(done.State == CampaignState.Succeeded, done.ToString());
        Assert.All(done.Masters[0].Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        Assert.Empty(await second.OpenLedgerAsync(id));
        var facts = world.Facts(idle);
        Assert.True(facts.Alive);
        Assert.False(facts.Locked);
        Assert.Equal(1, facts.Stops - stopsBefore); // drained (or stopped) and started once, whatever the crash interrupted
    }
}
