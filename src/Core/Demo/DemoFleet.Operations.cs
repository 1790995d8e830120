using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Demo;

// What the simulated hosts and REST APIs answer. Each call simulates up to now first, then answers from the state.
public sealed partial class DemoFleet
{
    // A follower re-checks the clock this often, so a real-time demo moves even when nobody else calls.
    private static readonly TimeSpan FollowTick = TimeSpan.FromSeconds(1);

    internal HostFacts Facts(SimMaster m, int logLines)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(logLines);
        lock (gate)
        {
            var t = Reachable(m);
            var repos = m.Info.Repos
                .Select(r => new RepoFacts(r.Name, r.Dir, r.Branch, m.Revisions.GetValueOrDefault(r.Name), r.Branch, null))
                .ToList();
            var tail = m.Log.Skip(Math.Max(0, m.Log.Count - logLines)).ToList();
            return new HostFacts(t, repos, m.Alive ? m.Pid : null, m.Alive, m.Alive ? m.StartedAt : null, m.LockPresent,
                t - m.HostBootedAt, tail, [], Millis(20, 80));
        }
    }

    internal RemoteResult GracefulStop(SimMaster m)
    {
        lock (gate)
        {
            var t = Reachable(m);
            if (!m.Alive)
            {
                return new RemoteResult(3, "", $"no twistd.pid in {m.Info.MasterDir}: the master is not running\n", Millis(25, 70));
            }

            // A second SIGUSR1 during a clean shutdown is ignored by Buildbot.
            if (!m.ShuttingDown)
            {
                BeginCleanShutdown(m, t);
            }

            return new RemoteResult(0, string.Create(CultureInfo.InvariantCulture, $"sent SIGUSR1 to {m.Pid}\n"), "", Millis(25, 70));
        }
    }

    internal RemoteResult HardStop(SimMaster m)
    {
        lock (gate)
        {
            var t = Reachable(m);
            if (!m.Alive)
            {
                return new RemoteResult(0, "buildmaster not running\n", "", Millis(300, 600));
            }

            var pid = m.Pid;
            HardStop(m, t);
            return new RemoteResult(0, string.Create(CultureInfo.InvariantCulture, $"buildbot process {pid} is dead\n"), "", Millis(3200, 4400));
        }
    }

    internal RemoteResult Start(SimMaster m)
    {
        lock (gate)
        {
            var t = Reachable(m);
            if (m.Alive)
            {
                return new RemoteResult(1, "", string.Create(CultureInfo.InvariantCulture, $"Another twistd server is running, PID {m.Pid}\n"), Millis(900, 1400));
            }

            return StartProcess(m, t)
                ? new RemoteResult(0, "Following twistd.log until startup finished..\nThe buildmaster appears to have (re)started correctly.\n", "", Millis(4000, 12000))
                : new RemoteResult(1, "", "The buildmaster startup failed\n" + ConfigError(m) + "\n", Millis(3000, 8000));
        }
    }

    internal ReconfigResult Reconfig(SimMaster m)
    {
        lock (gate)
        {
            var t = Reachable(m);
            if (!m.Alive)
            {
                var why = $"no twistd.pid in {m.Info.MasterDir}";
                return new ReconfigResult(ReconfigOutcome.NotRunning, [], ["@@notrunning " + why], why, Millis(30, 80));
            }

            var lines = WriteReconfig(m, t, !m.ConfigBroken, noise);
            var events = TwistdLogParser.ParseAll(lines, t);
            return m.ConfigBroken
                ? new ReconfigResult(ReconfigOutcome.Aborted, events, lines,
                    "configuration update aborted; the master keeps its previous config: " + ConfigError(m), Millis(1200, 3000))
                : new ReconfigResult(ReconfigOutcome.Complete, events, lines, "configuration update complete", Millis(2500, 7000));
        }
    }

    internal ConfigCheckResult CheckConfig(SimMaster m)
    {
        lock (gate)
        {
            Reachable(m);
            return m.ConfigBroken
                ? new ConfigCheckResult(false, "Configuration Errors:\n  " + ConfigError(m), Millis(2500, 6000))
                : new ConfigCheckResult(true, "Config file is good!", Millis(3000, 9000));
        }
    }

    internal IReadOnlyList<RepoUpdateResult> UpdateRepos(SimMaster m)
    {
        lock (gate)
        {
            Reachable(m);
            var results = new List<RepoUpdateResult>();
            foreach (var repo in m.Info.Repos)
            {
                var before = m.Revisions.GetValueOrDefault(repo.Name);
                var after = repoLines.FirstOrDefault(l => l.Name == repo.Name && l.Branch == repo.Branch)?.Tip ?? before;
                if (after is not null)
                {
                    m.Revisions[repo.Name] = after;
                }

                results.Add(new RepoUpdateResult(repo.Name, repo.Dir, before, after, true, ""));
            }

            return results;
        }
    }

    internal IReadOnlyList<RepoUpdateResult> RestoreRepos(SimMaster m, IReadOnlyDictionary<string, string> revisions)
    {
        lock (gate)
        {
            Reachable(m);
            var results = new List<RepoUpdateResult>();
            foreach (var repo in m.Info.Repos.Where(r => revisions.ContainsKey(r.Name)))
            {
                var before = m.Revisions.GetValueOrDefault(repo.Name);
                m.Revisions[repo.Name] = revisions[repo.Name];
                results.Add(new RepoUpdateResult(repo.Name, repo.Dir, before, revisions[repo.Name], true, ""));
            }

            return results;
        }
    }

    internal RemoteResult SetLock(SimMaster m, bool present)
    {
        lock (gate)
        {
            Reachable(m);
            m.LockPresent = present;
            return new RemoteResult(0, "", "", Millis(20, 60));
        }
    }

    internal RemoteResult Reboot(SimMaster m)
    {
        lock (gate)
        {
            var t = Reachable(m);
            Reboot(m, t);
            // What SshMasterHost reports when the connection drops under the reboot command.
            return new RemoteResult(0, "", $"Connection to {m.Info.Hostname} closed by remote host.\n", Millis(200, 900));
        }
    }

    internal async IAsyncEnumerable<MasterLogEvent> FollowAsync(SimMaster m, Action? onFollowing, [EnumeratorCancellation] CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var channel = Channel.CreateUnbounded<MasterLogEvent>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        lock (gate)
        {
            Reachable(m);
            m.Followers.Add(channel);
        }

        try
        {
            onFollowing?.Invoke();
            var reader = channel.Reader;
            Task<bool>? readable = null;
            while (true)
            {
                while (reader.TryRead(out var ev))
                {
                    yield return ev;
                }

                if (reader.Completion.IsCompleted)
                {
                    // Rethrows what ended it (a reboot drops the ssh session).
                    await reader.Completion.ConfigureAwait(false);
                    yield break;
                }

                readable ??= reader.WaitToReadAsync(CancellationToken.None).AsTask();
                using (var tick = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    var delay = Task.Delay(FollowTick, time, tick.Token);
                    await Task.WhenAny(readable, delay).ConfigureAwait(false);
                    await tick.CancelAsync().ConfigureAwait(false);
                }

                ct.ThrowIfCancellationRequested();
                if (readable.IsCompleted)
                {
                    // Its failure is rethrown from Completion above; observe it here so it is not reported as unobserved.
                    _ = readable.Exception;
                    readable = null;
                }
                else
                {
                    Advance();
                }
            }
        }
        finally
        {
            lock (gate)
            {
                m.Followers.Remove(channel);
            }
        }
    }

    internal IReadOnlyList<BuildbotMaster> ApiMasters(SimMaster m)
    {
        lock (gate)
        {
            var t = ApiReachable(m);
            return [new BuildbotMaster(m.MasterId, $"{m.Info.Hostname}:{m.Info.MasterDir}", m.Alive, t)];
        }
    }

    internal IReadOnlyList<BuildbotWorker> ApiWorkers(SimMaster m)
    {
        lock (gate)
        {
            ApiReachable(m);
            return m.Workers.Select(w => new BuildbotWorker(
                w.Id,
                w.Name,
                w.Connected ? [m.MasterId] : [],
                m.Builders.Where(b => b.Group == w.Group).Select(b => new WorkerBuilderConfig(b.Id, m.MasterId)).ToList(),
                w.Paused,
                w.Graceful)).ToList();
        }
    }

    internal IReadOnlyList<RunningBuild> ApiRunningBuilds(SimMaster m)
    {
        lock (gate)
        {
            ApiReachable(m);
            return m.Running.OrderBy(b => b.Id).Select(b => new RunningBuild(
                b.Id, b.Builder.Id, b.Builder.Name, b.Number, b.StartedAt, b.Worker.Id, b.Worker.Name, m.MasterId, "building")).ToList();
        }
    }

    internal IReadOnlyList<PendingBuildRequest> ApiPendingRequests(SimMaster m)
    {
        lock (gate)
        {
            ApiReachable(m);
            var claimed = m.Running.Select(b => new PendingBuildRequest(b.Request.Id, b.Builder.Id, b.Builder.Name, true, m.MasterId, b.Request.SubmittedAt));
            var queued = m.Pending.Select(r => new PendingBuildRequest(r.Id, r.Builder.Id, r.Builder.Name, false, null, r.SubmittedAt));
            return claimed.Concat(queued).OrderBy(r => r.BuildRequestId).ToList();
        }
    }

    internal IReadOnlyList<BuildbotBuilder> ApiBuilders(SimMaster m)
    {
        lock (gate)
        {
            ApiReachable(m);
            return m.Builders.Select(b => new BuildbotBuilder(b.Id, b.Name, [m.MasterId], [])).ToList();
        }
    }

    internal void ControlWorker(SimMaster m, string workerName, WorkerAction action, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerName);
        lock (gate)
        {
            var t = ApiReachable(m);
            var w = m.Workers.FirstOrDefault(x => x.Name == workerName)
                ?? throw new BuildbotApiException(BuildbotErrorKind.UnknownWorker, $"worker '{workerName}' is not known to the master at {m.Info.ApiUrl}");
            var verb = action switch
            {
                WorkerAction.Pause => "pause",
                WorkerAction.Unpause => "unpause",
                WorkerAction.GracefulStop => "stop",
                WorkerAction.Kill => "kill",
                _ => throw new ArgumentOutOfRangeException(nameof(action)),
            };
            Write(m, t, $"worker {w.Name} wants to {verb}: {{'reason': '{reason.Replace("'", "\\'", StringComparison.Ordinal)}'}}");
            switch (action)
            {
                case WorkerAction.Pause:
                    w.Paused = true;
                    break;
                case WorkerAction.Unpause:
                    w.Paused = false;
                    Assign(m, t);
                    break;
                case WorkerAction.GracefulStop when w.Connected:
                    w.Graceful = true;
                    if (w.Build is null)
                    {
                        // An idle worker's process is gone ~2.5 s after the request (BUILDBOT.md §3).
                        var epoch = w.Epoch;
                        Schedule(t + TimeSpan.FromSeconds(2.5), at =>
                        {
                            if (w.Epoch == epoch && w.Connected && w.Build is null)
                            {
                                WorkerProcessExits(m, w, at);
                            }
                        });
                    }

                    break;
                case WorkerAction.Kill when w.Connected:
                    WorkerProcessExits(m, w, t);
                    break;
            }
        }
    }

    /// <summary>Simulates up to now and returns it, or throws what ssh would when the host cannot be reached.</summary>
    private DateTimeOffset Reachable(SimMaster m)
    {
        AdvanceLocked();
        var t = simNow;
        if (m.SshDownUntil > t)
        {
            throw new SshException(SshFailureKind.Unreachable,
                $"{m.Info.Hostname} is unreachable: ssh: connect to host {m.Info.Hostname} port 22: Connection refused", m.Info.Hostname);
        }

        if (m.FlakyUntil > t)
        {
            throw new SshException(SshFailureKind.Unreachable,
                $"{m.Info.Hostname} is unreachable: ssh: connect to host {m.Info.Hostname} port 22: No route to host", m.Info.Hostname);
        }

        return t;
    }

    private DateTimeOffset ApiReachable(SimMaster m)
    {
        AdvanceLocked();
        var t = simNow;
        var authority = m.Info.ApiUrl.GetLeftPart(UriPartial.Authority);
        if (!m.SshReachable(t))
        {
            throw new BuildbotApiException(BuildbotErrorKind.Unreachable, $"{authority} did not answer: HostUnreachable");
        }

        // The REST API lives in the master process: no process, no answer.
        if (!m.Alive)
        {
            throw new BuildbotApiException(BuildbotErrorKind.Unreachable, $"{authority} did not answer: ConnectionRefused");
        }

        return t;
    }

    private TimeSpan Millis(int min, int max) => TimeSpan.FromMilliseconds(noise.Next(min, max));
}
