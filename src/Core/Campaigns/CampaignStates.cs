using System.Collections.Frozen;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Campaigns;

/// <summary>DESIGN.md's campaign states; the wire names are the camelCase of these.</summary>
public enum CampaignState
{
    AwaitingApproval,
    Running,
    Paused,
    Succeeded,
    Failed,
    Aborted,

    /// <summary>Waiting for a person: a master failed past the threshold, or recovery after a crash could not decide.</summary>
    Parked,
}

public enum CampaignCommand
{
    /// <summary>An operator approves the plan (or, with approval per wave, the next wave).</summary>
    Approve,

    /// <summary>Finish what is in flight, start nothing new.</summary>
    Pause,

    /// <summary>Carry on after a pause, or after a person retried or skipped what parked the campaign.</summary>
    Resume,

    /// <summary>Start nothing new; every touched master is left running and enabled.</summary>
    Abort,

    /// <summary>The runner stops for a person: failures reached the threshold.</summary>
    Park,

    /// <summary>The runner finished every master.</summary>
    Complete,

    /// <summary>Kept for campaigns that a person or an older Wrangler ended as failed.</summary>
    Fail,
}

public enum MasterRunState
{
    Pending,
    Running,

    /// <summary>A drain outlasted its timeout under the "hold" policy: waiting for escalate (hard stop) or more waiting.</summary>
    Held,

    Succeeded,
    Failed,
    Skipped,
    Aborted,
}

public enum MasterCommand
{
    /// <summary>The runner starts (or, after a restart, resumes) the master's next step.</summary>
    Start,

    Hold,

    /// <summary>Hard stop a drain now, held or still under way.</summary>
    Escalate,

    Succeed,
    Fail,

    /// <summary>Run the failed step again, or keep waiting on a held drain.</summary>
    Retry,

    Skip,
    Abort,
}

public enum StepState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

public enum StepCommand
{
    Start,
    Succeed,
    Fail,
    Skip,

    /// <summary>Back to pending to run again: a failed step, or the update before a checkconfig that is retried.</summary>
    Retry,
}

/// <summary>
/// What a master goes through, in order. The world-changing steps come in pairs (see <see cref="CampaignStates.UndoOf"/>)
/// and the undoing half of each pair runs in the reverse order of the doing half.
/// </summary>
public enum StepKind
{
    /// <summary>SSH reachable, REST answers, checkconfig passes — before any side effect.</summary>
    PreCheck,
    DisableInAllocator,
    ScheduleDowntime,

    /// <summary><c>touch reconfig.lock</c>: keeps other tooling (and our own auto-reconfig) off the master.</summary>
    CreateLock,

    /// <summary>Graceful stop (<c>buildbot stop --clean</c>) and wait for running builds to finish, up to the drain timeout.</summary>
    Drain,

    HardStop,
    Start,

    /// <summary>The inventory's reboot command.</summary>
    Reboot,

    /// <summary>SSH answers again after the reboot.</summary>
    WaitForHost,

    /// <summary>Pull every repo to the production tip.</summary>
    UpdateRepos,

    CheckConfig,

    /// <summary>SIGHUP, then watch for "configuration update complete" (or "aborted" / "partially applied").</summary>
    Reconfig,

    /// <summary>Process up, REST answers, workers back to baseline; for a reconfig, revisions at the tip.</summary>
    Verify,

    RemoveLock,
    EnableInAllocator,
    EndDowntime,
}

public sealed class InvalidCampaignTransitionException(string message) : InvalidOperationException(message);

/// <summary>
/// Every legal state change of campaigns, masters and steps, in one place (the eShop <c>Order.SetShippedStatus</c>
/// shape). Records change state only through their <c>Apply</c> methods (src/Core/Persistence/CampaignRecords.cs),
/// which ask here and throw on an illegal move; the runner, people's commands and decisions, recovery on start and a
/// schedule's window closing all go through them. docs/campaigns.md describes the same rules in words.
/// <para>
/// Idempotency rule: repeating the command that produced the current state is a no-op that returns that state,
/// so a second click (approve, pause, resume) or a second report from the runner (park) does nothing. Terminal states
/// (succeeded, failed, aborted) refuse every command, repeats included: nothing about a finished campaign changes.
/// </para>
/// </summary>
public static class CampaignStates
{
    private static readonly FrozenDictionary<(CampaignState, CampaignCommand), CampaignState> Campaign =
        new Dictionary<(CampaignState, CampaignCommand), CampaignState>
        {
            [(CampaignState.AwaitingApproval, CampaignCommand.Approve)] = CampaignState.Running,
            [(CampaignState.AwaitingApproval, CampaignCommand.Abort)] = CampaignState.Aborted,

            // Already approved: a second approval (or the next wave's) must not restart, unpause or unpark anything.
            [(CampaignState.Running, CampaignCommand.Approve)] = CampaignState.Running,
            [(CampaignState.Paused, CampaignCommand.Approve)] = CampaignState.Paused,
            [(CampaignState.Parked, CampaignCommand.Approve)] = CampaignState.Parked,

            [(CampaignState.Running, CampaignCommand.Pause)] = CampaignState.Paused,
            [(CampaignState.Running, CampaignCommand.Resume)] = CampaignState.Running,
            [(CampaignState.Running, CampaignCommand.Park)] = CampaignState.Parked,
            [(CampaignState.Running, CampaignCommand.Complete)] = CampaignState.Succeeded,
            [(CampaignState.Running, CampaignCommand.Fail)] = CampaignState.Failed,
            [(CampaignState.Running, CampaignCommand.Abort)] = CampaignState.Aborted,

            [(CampaignState.Paused, CampaignCommand.Pause)] = CampaignState.Paused,
            [(CampaignState.Paused, CampaignCommand.Resume)] = CampaignState.Running,
            [(CampaignState.Paused, CampaignCommand.Fail)] = CampaignState.Failed,
            [(CampaignState.Paused, CampaignCommand.Abort)] = CampaignState.Aborted,

            // Resuming a parked campaign goes back to running even if it was paused before it parked: the person
            // resolving it is there to say otherwise.
            [(CampaignState.Parked, CampaignCommand.Park)] = CampaignState.Parked,
            [(CampaignState.Parked, CampaignCommand.Resume)] = CampaignState.Running,
            [(CampaignState.Parked, CampaignCommand.Fail)] = CampaignState.Failed,
            [(CampaignState.Parked, CampaignCommand.Abort)] = CampaignState.Aborted,
        }.ToFrozenDictionary();

    private static readonly FrozenDictionary<(MasterRunState, MasterCommand), MasterRunState> Master =
        new Dictionary<(MasterRunState, MasterCommand), MasterRunState>
        {
            [(MasterRunState.Pending, MasterCommand.Start)] = MasterRunState.Running,

            // Not started: an abort or a schedule's closing window leaves it out.
            [(MasterRunState.Pending, MasterCommand.Skip)] = MasterRunState.Skipped,

            // Each step starts the master again; after a restart its in-flight step is resumed.
            [(MasterRunState.Running, MasterCommand.Start)] = MasterRunState.Running,
            [(MasterRunState.Running, MasterCommand.Hold)] = MasterRunState.Held,
            [(MasterRunState.Running, MasterCommand.Succeed)] = MasterRunState.Succeeded,
            [(MasterRunState.Running, MasterCommand.Fail)] = MasterRunState.Failed,

            // A drain still under way can be cut short too: the drain step hard stops when it sees the decision.
            [(MasterRunState.Running, MasterCommand.Escalate)] = MasterRunState.Running,

            [(MasterRunState.Held, MasterCommand.Hold)] = MasterRunState.Held,
            [(MasterRunState.Held, MasterCommand.Start)] = MasterRunState.Running,
            [(MasterRunState.Held, MasterCommand.Escalate)] = MasterRunState.Running,

            // "Keep waiting": the drain runs again with a new timeout. A held drain cannot be skipped or aborted:
            // Buildbot cannot cancel a clean shutdown, so the master would go down by itself.
            [(MasterRunState.Held, MasterCommand.Retry)] = MasterRunState.Running,

            [(MasterRunState.Failed, MasterCommand.Fail)] = MasterRunState.Failed,
            [(MasterRunState.Failed, MasterCommand.Retry)] = MasterRunState.Running,
            [(MasterRunState.Failed, MasterCommand.Skip)] = MasterRunState.Skipped,

            // A failed master of an aborted campaign has its side effects undone and ends as aborted.
            [(MasterRunState.Failed, MasterCommand.Abort)] = MasterRunState.Aborted,
        }.ToFrozenDictionary();

    private static readonly FrozenDictionary<(StepState, StepCommand), StepState> Step =
        new Dictionary<(StepState, StepCommand), StepState>
        {
            [(StepState.Pending, StepCommand.Start)] = StepState.Running,
            [(StepState.Pending, StepCommand.Skip)] = StepState.Skipped,

            // After a restart the step that was running is run again (each step is safe to repeat).
            [(StepState.Running, StepCommand.Start)] = StepState.Running,
            [(StepState.Running, StepCommand.Succeed)] = StepState.Succeeded,
            [(StepState.Running, StepCommand.Fail)] = StepState.Failed,

            // The master ended (aborted) while this step was still open.
            [(StepState.Running, StepCommand.Skip)] = StepState.Skipped,
            [(StepState.Failed, StepCommand.Retry)] = StepState.Pending,

            // A failed checkconfig put the checkouts back, so its retry updates them again first.
            [(StepState.Succeeded, StepCommand.Retry)] = StepState.Pending,
        }.ToFrozenDictionary();

    private static readonly CampaignState[] TerminalCampaign = [CampaignState.Succeeded, CampaignState.Failed, CampaignState.Aborted];
    private static readonly MasterRunState[] InFlightMaster = [MasterRunState.Running, MasterRunState.Held, MasterRunState.Failed];
    private static readonly MasterRunState[] TerminalMaster = [MasterRunState.Succeeded, MasterRunState.Skipped, MasterRunState.Aborted];

    /// <summary>Campaigns that are over: nothing about them changes again. Usable in EF queries (<c>.Contains</c>).</summary>
    public static IReadOnlyList<CampaignState> TerminalCampaignStates => TerminalCampaign;

    /// <summary>
    /// Masters a campaign is working on: a task owns each, and it must finish cleanly (a failed one waits for a
    /// person) before the master may join another campaign. Usable in EF queries.
    /// </summary>
    public static IReadOnlyList<MasterRunState> InFlightMasterStates => InFlightMaster;

    /// <summary>Masters that are done with their campaign. Usable in EF queries.</summary>
    public static IReadOnlyList<MasterRunState> TerminalMasterStates => TerminalMaster;

    public static bool IsTerminal(CampaignState state) => TerminalCampaign.Contains(state);

    public static bool IsTerminal(MasterRunState state) => TerminalMaster.Contains(state);

    public static bool IsInFlight(MasterRunState state) => InFlightMaster.Contains(state);

    public static bool IsTerminal(StepState state) => state is StepState.Succeeded or StepState.Skipped;

    public static bool Can(CampaignState from, CampaignCommand command) => Campaign.ContainsKey((from, command));

    public static bool Can(MasterRunState from, MasterCommand command) => Master.ContainsKey((from, command));

    public static bool Can(StepState from, StepCommand command) => Step.ContainsKey((from, command));

    /// <summary>The master command a person's decision is.</summary>
    public static MasterCommand CommandOf(MasterDecision decision) => decision switch
    {
        MasterDecision.Escalate => MasterCommand.Escalate,
        MasterDecision.Retry => MasterCommand.Retry,
        MasterDecision.Skip => MasterCommand.Skip,
        _ => throw new ArgumentOutOfRangeException(nameof(decision), decision, null),
    };

    /// <exception cref="InvalidCampaignTransitionException">"cannot {command} a {state} campaign" ("an" before a vowel).</exception>
    public static CampaignState Next(CampaignState from, CampaignCommand command) =>
        Campaign.TryGetValue((from, command), out var to) ? to : throw Refuse(WireName(command), WireName(from), "campaign");

    /// <exception cref="InvalidCampaignTransitionException">"cannot {command} a {state} master".</exception>
    public static MasterRunState Next(MasterRunState from, MasterCommand command) =>
        Master.TryGetValue((from, command), out var to) ? to : throw Refuse(WireName(command), WireName(from), "master");

    /// <exception cref="InvalidCampaignTransitionException">"cannot {command} a {state} step".</exception>
    public static StepState Next(StepState from, StepCommand command) =>
        Step.TryGetValue((from, command), out var to) ? to : throw Refuse(WireName(command), WireName(from), "step");

    /// <summary>The camelCase name DESIGN.md's JSON uses: <c>awaitingApproval</c>.</summary>
    public static string WireName<T>(T value) where T : struct, Enum
    {
        var name = value.ToString();
        return name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
    }

    /// <summary>
    /// The steps one master goes through for a kind, in order. The pre-check comes before any side effect; the
    /// monitoring downtime brackets everything else (scheduled first, ended last) so no alert fires for a change we
    /// made, and each other side effect is undone in the reverse order it was made.
    /// A reconfig keeps the master in service: SIGHUP does not stop the process, disconnect workers or interrupt
    /// builds, so disabling it in the allocator would only move workers away and a downtime would hide real alerts.
    /// It still takes the lock, which is what keeps another reconfig off the master while this one runs.
    /// </summary>
    public static IReadOnlyList<StepKind> StepsFor(CampaignKind kind, MasterRole role)
    {
        IReadOnlyList<StepKind> action = kind switch
        {
            CampaignKind.GracefulRestart when role == MasterRole.Scheduler => [StepKind.HardStop, StepKind.Start],
            CampaignKind.GracefulRestart => [StepKind.Drain, StepKind.Start],
            CampaignKind.Restart => [StepKind.HardStop, StepKind.Start],
            // A reboot drains first: builds that a power-off kills are lost (workers never fail over to another master).
            CampaignKind.Reboot when role == MasterRole.Scheduler => [StepKind.Reboot, StepKind.WaitForHost],
            CampaignKind.Reboot => [StepKind.Drain, StepKind.Reboot, StepKind.WaitForHost],
            CampaignKind.Reconfig => [StepKind.UpdateRepos, StepKind.CheckConfig, StepKind.Reconfig],
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

        if (kind == CampaignKind.Reconfig)
        {
            return [StepKind.PreCheck, StepKind.CreateLock, .. action, StepKind.Verify, StepKind.RemoveLock];
        }

        return
        [
            StepKind.PreCheck,
            StepKind.ScheduleDowntime,
            StepKind.DisableInAllocator,
            StepKind.CreateLock,
            .. action,
            StepKind.Verify,
            StepKind.RemoveLock,
            StepKind.EnableInAllocator,
            StepKind.EndDowntime,
        ];
    }

    /// <summary>The step that undoes a side-effect step (what the ledger records), or null for steps that leave nothing to undo.</summary>
    public static StepKind? UndoOf(StepKind step) => step switch
    {
        StepKind.DisableInAllocator => StepKind.EnableInAllocator,
        StepKind.ScheduleDowntime => StepKind.EndDowntime,
        StepKind.CreateLock => StepKind.RemoveLock,
        _ => null,
    };

    private static InvalidCampaignTransitionException Refuse(string verb, string state, string what) =>
        new($"cannot {verb} {("aeiou".Contains(state[0], StringComparison.Ordinal) ? "an" : "a")} {state} {what}");
}
