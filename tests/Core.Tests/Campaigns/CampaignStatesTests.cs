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
        [(Running, Pause)] = Paused,
        [(Running, Resume)] = Running,
        [(Running, Park)] = Parked,
        [(Running, Complete)] = Succeeded,
        [(Running, Fail)] = Failed,
        [(Running, Abort)] = Aborted,
        [(Paused, Approve)] = Paused,
        [(Paused, Pause)] = Paused,
        [(Paused, Resume)] = Running,
        [(Paused, Fail)] = Failed,
        [(Paused, Abort)] = Aborted,
        [(Parked, Approve)] = Parked,
        [(Parked, Park)] = Parked,
        [(Parked, Resume)] = Running,
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
    [InlineData(Paused, Complete, "cannot complete a paused campaign")]
    [InlineData(Paused, Park, "cannot park a paused campaign")]
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
    public void Wire_names_are_the_designs()
    {
        Assert.Equal(
            ["awaitingApproval", "running", "paused", "succeeded", "failed", "aborted", "parked"],
            Enum.GetValues<CampaignState>().Select(CampaignStates.WireName));
    }

    // Written out in full, as the campaign table above; the runner, decisions and recovery use nothing else.
    private static readonly Dictionary<(MasterRunState, MasterCommand), MasterRunState> MasterLegal = new()
    {
        [(MasterRunState.Pending, MasterCommand.Start)] = MasterRunState.Running,
        [(MasterRunState.Pending, MasterCommand.Skip)] = MasterRunState.Skipped,
        [(MasterRunState.Running, MasterCommand.Start)] = MasterRunState.Running,
        [(MasterRunState.Running, MasterCommand.Hold)] = MasterRunState.Held,
        [(MasterRunState.Running, MasterCommand.Succeed)] = MasterRunState.Succeeded,
        [(MasterRunState.Running, MasterCommand.Fail)] = MasterRunState.Failed,
        [(MasterRunState.Running, MasterCommand.Escalate)] = MasterRunState.Running,
        [(MasterRunState.Held, MasterCommand.Hold)] = MasterRunState.Held,
        [(MasterRunState.Held, MasterCommand.Start)] = MasterRunState.Running,
        [(MasterRunState.Held, MasterCommand.Escalate)] = MasterRunState.Running,
        [(MasterRunState.Held, MasterCommand.Retry)] = MasterRunState.Running,
        [(MasterRunState.Failed, MasterCommand.Fail)] = MasterRunState.Failed,
        [(MasterRunState.Failed, MasterCommand.Retry)] = MasterRunState.Running,
        [(MasterRunState.Failed, MasterCommand.Skip)] = MasterRunState.Skipped,
        [(MasterRunState.Failed, MasterCommand.Abort)] = MasterRunState.Aborted,
    };

    private static readonly Dictionary<(StepState, StepCommand), StepState> StepLegal = new()
    {
        [(StepState.Pending, StepCommand.Start)] = StepState.Running,
        [(StepState.Pending, StepCommand.Skip)] = StepState.Skipped,
        [(StepState.Running, StepCommand.Start)] = StepState.Running,
        [(StepState.Running, StepCommand.Succeed)] = StepState.Succeeded,
        [(StepState.Running, StepCommand.Fail)] = StepState.Failed,
        [(StepState.Running, StepCommand.Skip)] = StepState.Skipped,
        [(StepState.Failed, StepCommand.Retry)] = StepState.Pending,
        [(StepState.Succeeded, StepCommand.Retry)] = StepState.Pending,
    };

    [Fact]
    public void Every_master_and_step_pair_is_either_legal_as_the_tables_say_or_refused()
    {
        foreach (var state in Enum.GetValues<MasterRunState>())
        {
            foreach (var command in Enum.GetValues<MasterCommand>())
            {
                if (MasterLegal.TryGetValue((state, command), out var to))
                {
                    Assert.Equal(to, CampaignStates.Next(state, command));
                }
                else
                {
                    Assert.False(CampaignStates.Can(state, command), $"{state} + {command}");
                    Assert.Throws<InvalidCampaignTransitionException>(() => CampaignStates.Next(state, command));
                }
            }
        }

        foreach (var state in Enum.GetValues<StepState>())
        {
            foreach (var command in Enum.GetValues<StepCommand>())
            {
                if (StepLegal.TryGetValue((state, command), out var to))
                {
                    Assert.Equal(to, CampaignStates.Next(state, command));
                }
                else
                {
                    Assert.False(CampaignStates.Can(state, command), $"{state} + {command}");
                }
            }
        }
    }

    [Fact]
    public void A_held_drain_can_be_escalated_or_waited_on_but_not_skipped()
    {
        Assert.True(CampaignStates.Can(MasterRunState.Held, CampaignStates.CommandOf(MasterDecision.Escalate)));
        Assert.True(CampaignStates.Can(MasterRunState.Held, CampaignStates.CommandOf(MasterDecision.Retry)));
        var e = Assert.Throws<InvalidCampaignTransitionException>(() => CampaignStates.Next(MasterRunState.Held, CampaignStates.CommandOf(MasterDecision.Skip)));
        Assert.Equal("cannot skip a held master", e.Message);

        // A drain still under way can be escalated too; a failed master cannot (there is nothing to hard stop).
        Assert.True(CampaignStates.Can(MasterRunState.Running, MasterCommand.Escalate));
        Assert.Equal("cannot escalate a failed master", Assert.Throws<InvalidCampaignTransitionException>(() => CampaignStates.Next(MasterRunState.Failed, MasterCommand.Escalate)).Message);
    }

    [Fact]
    public void In_flight_and_terminal_masters_are_spelled_once()
    {
        Assert.Equal([MasterRunState.Running, MasterRunState.Held, MasterRunState.Failed], Enum.GetValues<MasterRunState>().Where(CampaignStates.IsInFlight));
        Assert.Equal([MasterRunState.Succeeded, MasterRunState.Skipped, MasterRunState.Aborted], Enum.GetValues<MasterRunState>().Where(CampaignStates.IsTerminal));
        Assert.Equal(CampaignStates.InFlightMasterStates, Enum.GetValues<MasterRunState>().Where(CampaignStates.IsInFlight));
        Assert.Equal(CampaignStates.TerminalCampaignStates, Enum.GetValues<CampaignState>().Where(CampaignStates.IsTerminal));
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
