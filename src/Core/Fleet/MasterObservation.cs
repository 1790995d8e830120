using System.Collections.Immutable;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Fleet;

/// <summary>What one master's REST API said in one poll.</summary>
public sealed record RestView(
    IReadOnlyList<BuildbotMaster> Masters,
    IReadOnlyList<BuildbotWorker> Workers,
    IReadOnlyList<RunningBuild> Builds,
    IReadOnlyList<PendingBuildRequest> Requests);

/// <summary>
/// Turns one poll's raw answers into a <see cref="MasterState"/>. Pure, so every rule about what a state means is
/// tested without a master.
/// </summary>
public static class MasterObservation
{
    /// <summary>A master whose process started this recently and whose REST API is not answering is "starting", not broken.</summary>
    public static readonly TimeSpan StartupGrace = TimeSpan.FromSeconds(90);

    public static MasterState Combine(
        MasterState previous,
        HostFacts? facts,
        Exception? hostError,
        RestView? rest,
        Exception? restError,
        IReadOnlyDictionary<(string Repo, string Branch), string> tips,
        DateTimeOffset now,
        TimeSpan elapsed)
    {
        var master = previous.Master;
        var state = previous with { LastPolledAt = now, PollDuration = elapsed };
        if (!master.Enabled)
        {
            return state with { Observed = MasterStatus.Disabled, ObservedDetail = "disabled in the inventory" };
        }

        if (facts is null)
        {
            // What was last seen stays on show (stale, under an unreachable state) rather than vanishing.
            return state with { Observed = MasterStatus.Unreachable, ObservedDetail = Describe(hostError) };
        }

        state = state with
        {
            Repos = Repos(master, facts, tips),
            LockPresent = facts.LockPresent,
            HostUptime = facts.HostUptime,
            LastRestartAt = facts.ProcessStartedAt ?? previous.LastRestartAt,
        };

        var events = TwistdLogParser.ParseAll(facts.LogTail, now);
        var lastReconfig = events.Where(e => e.Kind == MasterLogEventKind.ReconfigComplete).Select(e => (DateTimeOffset?)e.At).LastOrDefault();
        if (lastReconfig is not null && (state.LastReconfigAt is null || lastReconfig > state.LastReconfigAt))
        {
            state = state with { LastReconfigAt = lastReconfig };
        }

        if (!facts.ProcessAlive)
        {
            var failed = events.LastOrDefault(e => e.Kind is MasterLogEventKind.StartupFailed or MasterLogEventKind.Started or MasterLogEventKind.ShutDown);
            var detail = failed?.Kind == MasterLogEventKind.StartupFailed
                ? "startup failed: " + failed.Line.Trim()
                : facts.Pid is null ? "not running (no twistd.pid)" : $"not running (pid {facts.Pid} in twistd.pid is gone)";
            return state with
            {
                Observed = MasterStatus.Stopped,
                ObservedDetail = detail,
                Workers = state.Workers with { Connected = 0, Paused = 0, Graceful = 0 },
                WorkerList = [.. state.WorkerList.Select(w => w with { Connected = false })],
                RunningBuilds = [],
            };
        }

        if (rest is not null)
        {
            state = WithRest(state, rest);
        }

        // Only this process's lines count: markers from before the last start belong to a previous life.
        var current = events.SkipWhile(e => facts.ProcessStartedAt is { } s && e.At < s.AddSeconds(-2)).ToList();
        var lastStart = current.FindLastIndex(e => e.Kind == MasterLogEventKind.Started);
        var sinceStart = lastStart >= 0 ? current.Skip(lastStart + 1).ToList() : current;

        var shutdown = sinceStart.LastOrDefault(e => e.Kind is MasterLogEventKind.CleanShutdownInitiated or MasterLogEventKind.WaitingForBuilds);
        if (shutdown is not null)
        {
            var builds = shutdown.Builds ?? state.RunningBuilds.Length;
            return state with { Observed = MasterStatus.Draining, ObservedDetail = $"clean shutdown: waiting for {builds} build(s) to finish" };
        }

        var reconfig = sinceStart.LastOrDefault(e => e.Kind is MasterLogEventKind.ReconfigBegun or MasterLogEventKind.ReconfigComplete
            or MasterLogEventKind.ReconfigAborted or MasterLogEventKind.ReconfigPartiallyApplied);
        if (reconfig?.Kind == MasterLogEventKind.ReconfigBegun)
        {
            return state with { Observed = MasterStatus.Reconfiguring, ObservedDetail = "configuration update in progress" };
        }

        var young = facts.ProcessStartedAt is { } started && now - started < StartupGrace;
        if (rest is null)
        {
            return young || (lastStart < 0 && current.Count > 0)
                ? state with { Observed = MasterStatus.Starting, ObservedDetail = "process up, REST API not answering yet" }
                : state with { Observed = MasterStatus.Unreachable, ObservedDetail = "process up but REST API not answering: " + Describe(restError) };
        }

        var warning = reconfig?.Kind switch
        {
            MasterLogEventKind.ReconfigAborted => "last reconfig aborted",
            MasterLogEventKind.ReconfigPartiallyApplied => "last reconfig only partially applied",
            _ => null,
        };
        if (facts.LockPresent)
        {
            warning = warning is null ? "reconfig.lock present" : warning + "; reconfig.lock present";
        }

        return state with { Observed = MasterStatus.Running, ObservedDetail = warning };
    }

    /// <summary>Re-evaluates sync against new tips without a poll: a tip moving upstream is news for every master at once.</summary>
    public static MasterState WithTips(MasterState state, IReadOnlyDictionary<(string Repo, string Branch), string> tips) =>
        state with { Repos = [.. state.Repos.Select(r => Compare(r, tips.GetValueOrDefault((r.Name, r.Branch)), r.Error))] };

    public static string Describe(Exception? error) => error switch
    {
        null => "unknown error",
        SshException ssh => ssh.Message,
        BuildbotApiException api => api.Message,
        OperationCanceledException or TimeoutException => "no answer within the poll timeout",
        _ => error.Message,
    };

    private static ImmutableArray<RepoState> Repos(MasterInfo master, HostFacts facts, IReadOnlyDictionary<(string Repo, string Branch), string> tips) =>
    [
        .. master.Repos.Select(r =>
        {
            var f = facts.Repos.FirstOrDefault(x => x.Name == r.Name);
            var error = f?.Error ?? (f is null ? "not reported by the host" : null);
            if (f is { Error: null, Branch: not null } && !f.OnExpectedBranch)
            {
                error = $"on branch {f.Branch}, expected {r.Branch}";
            }

            var state = new RepoState(r.Name, r.Dir, r.Branch, f?.Revision, null, null, error);
            return Compare(state, tips.GetValueOrDefault((r.Name, r.Branch)), error);
        }),
    ];

    /// <summary>The same checkout compared with another tip (one read from the upstream just now).</summary>
    internal static RepoState WithTip(RepoState r, string? tip) => Compare(r, tip, r.Error);

    private static RepoState Compare(RepoState r, string? tip, string? error)
    {
        if (tip is null || r.Revision is null)
        {
            return r with { TipRevision = tip, InSync = null };
        }

        // hg prints 12 hex digits, git 40; a '+' means local changes, which production never has.
        var rev = r.Revision;
        var same = !rev.EndsWith('+') && error is null
                   && (rev.StartsWith(tip, StringComparison.OrdinalIgnoreCase) || tip.StartsWith(rev, StringComparison.OrdinalIgnoreCase));
        return r with { TipRevision = tip, InSync = same };
    }

    private static MasterState WithRest(MasterState state, RestView rest)
    {
        var dir = state.Master.MasterDir.TrimEnd('/');
        var me = rest.Masters.FirstOrDefault(m => m.Name.EndsWith(":" + dir, StringComparison.Ordinal))
                 ?? (rest.Masters.Count == 1 ? rest.Masters[0] : null);
        int? id = me?.MasterId;

        // Masters sharing one database list every worker; only those connected to or configured on this one are its own.
        var ours = rest.Workers.Where(w => id is null
                ? w.IsConnected || w.ConfiguredOn.Count > 0
                : w.ConnectedTo.Contains(id.Value) || w.ConfiguredOn.Any(c => c.MasterId == id.Value))
            .ToList();
        var list = ours.Select(w => new WorkerState(w.Name, id is null ? w.IsConnected : w.ConnectedTo.Contains(id.Value), w.Paused, w.Graceful))
            .OrderBy(w => w.Name, StringComparer.Ordinal)
            .ToImmutableArray();
        var connected = list.Where(w => w.Connected).ToList();
        return state with
        {
            WorkerList = list,
            Workers = new WorkerCounts(connected.Count, connected.Count(w => w.Paused), connected.Count(w => w.Graceful), list.Length),
            RunningBuilds = [.. rest.Builds.Where(b => id is null || b.MasterId == id).OrderBy(b => b.StartedAt)],
            PendingRequests = rest.Requests.Count(r => !r.Claimed),
        };
    }
}
