using Wrangler.Core.Fleet;

namespace Wrangler.Core.Campaigns;

// Temporary stand-in until the planner branch lands; replaced by its CampaignStates.cs.
public enum CampaignState { AwaitingApproval, Running, Paused, Succeeded, Failed, Aborted, Parked }

public enum MasterRunState { Pending, Running, Held, Succeeded, Failed, Skipped, Aborted }

public enum StepState { Pending, Running, Succeeded, Failed, Skipped }

public enum StepKind { PreCheck, DisableInAllocator, ScheduleDowntime, CreateLock, Drain, HardStop, Start, Reboot, WaitForHost, UpdateRepos, CheckConfig, Reconfig, Verify, RemoveLock, EnableInAllocator, EndDowntime }

public enum CampaignCommand { Approve, Pause, Resume, Abort, Park, Complete, Fail }

public sealed class InvalidCampaignTransitionException(string message) : Exception(message);

public static class CampaignStates
{
    public static CampaignState Next(CampaignState from, CampaignCommand command) => (from, command) switch
    {
        (CampaignState.AwaitingApproval, CampaignCommand.Approve) => CampaignState.Running,
        (CampaignState.Running or CampaignState.Paused or CampaignState.Parked, CampaignCommand.Approve) => from,
        (CampaignState.Running, CampaignCommand.Pause) => CampaignState.Paused,
        (CampaignState.Paused, CampaignCommand.Pause) => CampaignState.Paused,
        (CampaignState.Paused or CampaignState.Parked, CampaignCommand.Resume) => CampaignState.Running,
        (CampaignState.Running, CampaignCommand.Resume) => CampaignState.Running,
        (CampaignState.AwaitingApproval or CampaignState.Running or CampaignState.Paused or CampaignState.Parked, CampaignCommand.Abort) => CampaignState.Aborted,
        (CampaignState.Running, CampaignCommand.Park) => CampaignState.Parked,
        (CampaignState.Running, CampaignCommand.Complete) => CampaignState.Succeeded,
        (CampaignState.Running or CampaignState.Parked, CampaignCommand.Fail) => CampaignState.Failed,
        _ => throw new InvalidCampaignTransitionException($"cannot {command.ToString().ToLowerInvariant()} a {from.ToString().ToLowerInvariant()} campaign"),
    };

    public static IReadOnlyList<StepKind> StepsFor(CampaignKind kind, MasterRole role) => kind switch
    {
        CampaignKind.GracefulRestart => [StepKind.PreCheck, StepKind.DisableInAllocator, StepKind.ScheduleDowntime, StepKind.CreateLock, role == MasterRole.Scheduler ? StepKind.HardStop : StepKind.Drain, StepKind.Start, StepKind.Verify, StepKind.RemoveLock, StepKind.EnableInAllocator, StepKind.EndDowntime],
        CampaignKind.Restart => [StepKind.PreCheck, StepKind.DisableInAllocator, StepKind.ScheduleDowntime, StepKind.CreateLock, StepKind.HardStop, StepKind.Start, StepKind.Verify, StepKind.RemoveLock, StepKind.EnableInAllocator, StepKind.EndDowntime],
        CampaignKind.Reboot => [StepKind.PreCheck, StepKind.DisableInAllocator, StepKind.ScheduleDowntime, StepKind.CreateLock, StepKind.Reboot, StepKind.WaitForHost, StepKind.Verify, StepKind.RemoveLock, StepKind.EnableInAllocator, StepKind.EndDowntime],
        _ => [StepKind.PreCheck, StepKind.CreateLock, StepKind.UpdateRepos, StepKind.CheckConfig, StepKind.Reconfig, StepKind.Verify, StepKind.RemoveLock],
    };
}
