using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using static Wrangler.Core.Campaigns.CampaignCommand;
using static Wrangler.Core.Campaigns.CampaignState;

namespace Wrangler.Core.Tests.Campaigns;

public sealed class CampaignStatesTests
{
    // Written out in full so that a change to the machine has to change this table too.
    private static readonly Dictionary<(CampaignState, CampaignCommand), CampaignState> Legal = new()
    {
        [(AwaitingApproval, Approve)] = Running,
        [(AwaitingApproval, Abort)] = Aborted,
        [(Running, Approve)] = Running,
        [(Running, AwaitApproval)] = AwaitingApproval,
        [(Running, Pause)] = Paused,
        [(Running, Resume)] = Running,
        [(Running, Park)] = Parked,
        [(Running, Complete)] = Succeeded,
        [(Running, Fail)] = Failed,
        [(Running, Abort)] = Aborted,
        [(Paused, Approve)] = Paused,
        [(Paused, Pause)] = Paused,
        [(Paused, Resume)] = Running,
        [(Paused, Park)] = Parked,
        [(Paused, Complete)] = Succeeded,
        [(Paused, Fail)] = Failed,
        [(Paused, Abort)] = Aborted,
        [(Parked, Approve)] = Parked,
        [(Parked, Park)] = Parked,
        [(Parked, Resolve)] = Running,
        [(Parked, Fail)] = Failed,
        [(Parked, Abort)] = Aborted,
    };

    public static TheoryData<CampaignState, CampaignCommand> Every()
    {
        var data = new TheoryData<CampaignState, CampaignCommand>();
        foreach (var state in Enum.GetValues<CampaignState>())
        {
            foreach (var command in Enum.GetValues<CampaignCommand>())
            {
                data.Add(state, command);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void Every_pair_is_either_legal_as_the_table_says_or_refused(CampaignState from, CampaignCommand command)
    {
        if (Legal.TryGetValue((from, command), out var to))
        {
            Assert.True(CampaignStates.Can(from, command));
            Assert.Equal(to, CampaignStates.Next(from, command));
        }
        else
        {
            Assert.False(CampaignStates.Can(from, command));
            var e = Assert.Throws<InvalidCampaignTransitionException>(() => CampaignStates.Next(from, command));
            Assert.StartsWith("cannot ", e.Message);
            Assert.EndsWith($" {CampaignStates.WireName(from)} campaign", e.Message);
        }
    }

    [Theory]
    [InlineData(Succeeded, Approve, "cannot approve a succeeded campaign")]
    [InlineData(Aborted, Resume, "cannot resume an aborted campaign")]
    [InlineData(AwaitingApproval, Pause, "cannot pause an awaitingApproval campaign")]
    [InlineData(Parked, Resume, "cannot resume a parked campaign")]
    [InlineData(Paused, AwaitApproval, "cannot wait for approval on a paused campaign")]
    public void A_refusal_says_what_and_from_where(CampaignState from, CampaignCommand command, string message)
    {
        var e = Assert.Throws<InvalidCampaignTransitionException>(() => CampaignStates.Next(from, command));
        Assert.Equal(message, e.Message);
        Assert.IsAssignableFrom<InvalidOperationException>(e);
    }

    [Fact]
    public void A_second_approval_changes_nothing()
    {
        var once = CampaignStates.Next(AwaitingApproval, Approve);
        var twice = CampaignStates.Next(once, Approve);

        Assert.Equal(Running, once);
        Assert.Equal(Running, twice);

        // Nor does a late approval wake a paused or parked campaign.
        Assert.Equal(Paused, CampaignStates.Next(Paused, Approve));
        Assert.Equal(Parked, CampaignStates.Next(Parked, Approve));
    }

    [Theory]
    [InlineData(Succeeded)]
    [InlineData(Failed)]
    [InlineData(Aborted)]
    public void Terminal_states_refuse_everything(CampaignState state)
    {
        Assert.True(CampaignStates.IsTerminal(state));
        Assert.All(Enum.GetValues<CampaignCommand>(), c =>
        {
            Assert.False(CampaignStates.Can(state, c));
            Assert.Throws<InvalidCampaignTransitionException>(() => CampaignStates.Next(state, c));
        });
    }

    [Fact]
    public void Only_succeeded_failed_and_aborted_are_terminal()
    {
        Assert.Equal([Succeeded, Failed, Aborted], Enum.GetValues<CampaignState>().Where(CampaignStates.IsTerminal));
    }

    [Fact]
    public void Wave_approval_goes_back_to_awaiting_approval_between_waves()
    {
        var state = CampaignStates.Next(AwaitingApproval, Approve);
        state = CampaignStates.Next(state, AwaitApproval);
        Assert.Equal(AwaitingApproval, state);
        Assert.Equal(Running, CampaignStates.Next(state, Approve));
    }

    [Fact]
    public void Wire_names_are_the_designs()
    {
        Assert.Equal(
            ["awaitingApproval", "running", "paused", "succeeded", "failed", "aborted", "parked"],
            Enum.GetValues<CampaignState>().Select(CampaignStates.WireName));
    }

    [Fact]
    public void A_master_runs_holds_escalates_and_succeeds()
    {
        var m = MasterRunState.Pending;
        m = CampaignStates.Next(m, MasterCommand.Start);
        m = CampaignStates.Next(m, MasterCommand.Hold);
        Assert.Equal(MasterRunState.Held, m);
        m = CampaignStates.Next(m, MasterCommand.Escalate);
        Assert.Equal(MasterRunState.Running, m);
        Assert.Equal(MasterRunState.Succeeded, CampaignStates.Next(m, MasterCommand.Succeed));
    }

    [Fact]
    public void A_failed_master_can_be_retried_or_skipped_but_not_escalated()
    {
        Assert.Equal(MasterRunState.Pending, CampaignStates.Next(MasterRunState.Failed, MasterCommand.Retry));
        Assert.Equal(MasterRunState.Skipped, CampaignStates.Next(MasterRunState.Failed, MasterCommand.Skip));
        var e = Assert.Throws<InvalidCampaignTransitionException>(() => CampaignStates.Next(MasterRunState.Failed, MasterCommand.Escalate));
        Assert.Equal("cannot escalate a failed master", e.Message);
        Assert.False(CampaignStates.Can(MasterRunState.Running, MasterCommand.Escalate));
    }

    [Theory]
    [InlineData(MasterRunState.Succeeded)]
    [InlineData(MasterRunState.Skipped)]
    [InlineData(MasterRunState.Aborted)]
    public void Finished_masters_refuse_everything(MasterRunState state)
    {
        Assert.True(CampaignStates.IsTerminal(state));
        Assert.All(Enum.GetValues<MasterCommand>(), c => Assert.False(CampaignStates.Can(state, c)));
    }

    [Fact]
    public void Steps_run_fail_retry_and_skip()
    {
        Assert.Equal(StepState.Running, CampaignStates.Next(StepState.Pending, StepCommand.Start));
        Assert.Equal(StepState.Failed, CampaignStates.Next(StepState.Running, StepCommand.Fail));
        Assert.Equal(StepState.Pending, CampaignStates.Next(StepState.Failed, StepCommand.Retry));
        Assert.Equal(StepState.Skipped, CampaignStates.Next(StepState.Running, StepCommand.Skip));
        var e = Assert.Throws<InvalidCampaignTransitionException>(() => CampaignStates.Next(StepState.Succeeded, StepCommand.Start));
        Assert.Equal("cannot start a succeeded step", e.Message);
    }

    private static readonly StepKind[] Actions =
        [StepKind.Drain, StepKind.HardStop, StepKind.Start, StepKind.Reboot, StepKind.WaitForHost, StepKind.UpdateRepos, StepKind.CheckConfig, StepKind.Reconfig];

    [Theory]
    [InlineData(CampaignKind.GracefulRestart, MasterRole.Build, new[] { StepKind.Drain, StepKind.Start })]
    [InlineData(CampaignKind.GracefulRestart, MasterRole.Scheduler, new[] { StepKind.HardStop, StepKind.Start })]
    [InlineData(CampaignKind.Restart, MasterRole.Tests, new[] { StepKind.HardStop, StepKind.Start })]
    [InlineData(CampaignKind.Restart, MasterRole.Scheduler, new[] { StepKind.HardStop, StepKind.Start })]
    [InlineData(CampaignKind.Reboot, MasterRole.Try, new[] { StepKind.Drain, StepKind.Reboot, StepKind.WaitForHost })]
    [InlineData(CampaignKind.Reboot, MasterRole.Scheduler, new[] { StepKind.Reboot, StepKind.WaitForHost })]
    [InlineData(CampaignKind.Reconfig, MasterRole.Build, new[] { StepKind.UpdateRepos, StepKind.CheckConfig, StepKind.Reconfig })]
    public void Each_kind_has_its_action_between_the_side_effects(CampaignKind kind, MasterRole role, StepKind[] action)
    {
        var steps = CampaignStates.StepsFor(kind, role);

        Assert.Equal(action, steps.Where(Actions.Contains));
        Assert.Equal(StepKind.PreCheck, steps[0]);

        // The action sits after every side effect is made and before verification and any undo.
        var firstAction = steps.ToList().IndexOf(action[0]);
        var lastAction = steps.ToList().IndexOf(action[^1]);
        Assert.All(steps.Where(s => CampaignStates.UndoOf(s) is not null), s => Assert.True(steps.ToList().IndexOf(s) < firstAction));
        Assert.Equal(StepKind.Verify, steps[lastAction + 1]);
    }

    [Theory]
    [InlineData(CampaignKind.GracefulRestart, MasterRole.Build)]
    [InlineData(CampaignKind.GracefulRestart, MasterRole.Scheduler)]
    [InlineData(CampaignKind.Restart, MasterRole.Tests)]
    [InlineData(CampaignKind.Reboot, MasterRole.Try)]
    [InlineData(CampaignKind.Reconfig, MasterRole.Build)]
    public void Side_effects_are_undone_in_the_reverse_order_at_the_end(CampaignKind kind, MasterRole role)
    {
        var steps = CampaignStates.StepsFor(kind, role).ToList();

        var made = steps.Where(s => CampaignStates.UndoOf(s) is not null).ToList();
        var undone = steps.Where(s => made.Select(CampaignStates.UndoOf).Contains(s)).ToList();

        Assert.NotEmpty(made);
        Assert.Equal(made.Select(s => CampaignStates.UndoOf(s)!.Value).Reverse(), undone);
        Assert.Equal(undone, steps.TakeLast(undone.Count));
        Assert.Equal(steps.Count, steps.Distinct().Count());
    }

    [Fact]
    public void Restarts_and_reboots_take_the_master_out_of_service_and_a_reconfig_keeps_it_in()
    {
        Assert.Equal(
            [
                StepKind.PreCheck, StepKind.ScheduleDowntime, StepKind.DisableInAllocator, StepKind.CreateLock,
                StepKind.Drain, StepKind.Start,
                StepKind.Verify, StepKind.RemoveLock, StepKind.EnableInAllocator, StepKind.EndDowntime,
            ],
            CampaignStates.StepsFor(CampaignKind.GracefulRestart, MasterRole.Tests));
        Assert.Equal(
            [
                StepKind.PreCheck, StepKind.CreateLock,
                StepKind.UpdateRepos, StepKind.CheckConfig, StepKind.Reconfig,
                StepKind.Verify, StepKind.RemoveLock,
            ],
            CampaignStates.StepsFor(CampaignKind.Reconfig, MasterRole.Scheduler));
        Assert.Contains(StepKind.DisableInAllocator, CampaignStates.StepsFor(CampaignKind.Reboot, MasterRole.Build));
        Assert.Contains(StepKind.ScheduleDowntime, CampaignStates.StepsFor(CampaignKind.Restart, MasterRole.Build));
    }
}
