using System.Globalization;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Demo;

public sealed partial class DemoFleet
{
    // Random happenings (arrivals, disconnects) are drawn on a fixed grid from the start time, and timed events run at
    // their exact times, so the simulation does not depend on how often it is called.
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);
    private const int LogCapacity = 600;

    private readonly PriorityQueue<Action<DateTimeOffset>, (long At, long Seq)> events = new();
    private long eventSeq;
    private int nextBuildId = 1;
    private int nextRequestId = 1;
    private DateTimeOffset simNow;
    private DateTimeOffset gridAt;

    private void Initialise(DateTimeOffset t0)
    {
        foreach (var (name, branch) in DemoInventory.RepoBranches)
        {
            var line = new SimRepoLine(name, branch, Hex(tipRng), Hex(tipRng));
            repoLines.Add(line);
            ScheduleTipMove(line, t0);
        }

        // A few masters missed the last production push.
        var behind = sims.Where(s => s.Info.Enabled).OrderBy(_ => fleetRng.Next()).Take(fleetRng.Next(3, 5)).ToHashSet();

        // Rarely a worker is on its way out: graceful, finishing its last build. One master has one.
        var withGraceful = sims.Where(s => s.Info.Enabled && !s.Flaky && s.Workers.Count > 0).OrderBy(_ => fleetRng.Next()).First();
        foreach (var m in sims)
        {
            var lagging = behind.Contains(m) ? repoLines[fleetRng.Next(repoLines.Count)] : null;
            foreach (var line in repoLines)
            {
                m.Revisions[line.Name] = line == lagging ? line.Previous : line.Tip;
            }

            InitialiseMaster(m, t0, m == withGraceful);
        }
    }

    private void InitialiseMaster(SimMaster m, DateTimeOffset t0, bool withGraceful)
    {
        var r = m.Rng;
        var started = t0 - TimeSpan.FromHours(20 + r.NextDouble() * 460);
        m.HostBootedAt = started - TimeSpan.FromHours(r.NextDouble() * 24 * 45) - TimeSpan.FromSeconds(r.Next(60, 200));
        m.Pid = r.Next(1200, 32000);
        m.StartedAt = started;
        m.Alive = true;
        WriteStartup(m, started);
        foreach (var w in m.Workers)
        {
            w.Connected = true;
            WriteAttach(m, w, started + TimeSpan.FromSeconds(2 + r.NextDouble() * 40));
        }

        var reconfigAt = started + (t0 - started) * (0.3 + 0.65 * r.NextDouble());
        WriteReconfig(m, reconfigAt, ok: true, r);

        if (!m.Info.Enabled)
        {
            var stopAt = reconfigAt + (t0 - reconfigAt) * 0.5;
            Write(m, stopAt, "Initiating clean shutdown");
            Write(m, stopAt, "No running jobs, starting shutdown immediately");
            Write(m, stopAt, "Stopping reactor");
            StopProcess(m, stopAt);
            return;
        }

        // What happened since the last reconfig, written in time order once it is all decided.
        var later = new List<(DateTimeOffset At, string Message, string System)>();
        var busyShare = Math.Min(0.95, m.Load * Diurnal(t0));
        foreach (var w in m.Workers)
        {
            if (r.NextDouble() < 0.04)
            {
                // Lost its connection a little while ago; it is retrying.
                w.Connected = false;
                later.Add((t0 - TimeSpan.FromSeconds(r.Next(10, 300)), $"Worker.detached({w.Name})", BrokerOf(w)));
                Schedule(t0 + TimeSpan.FromSeconds(r.Next(30, 600)), WorkerReconnect(m, w));
                continue;
            }

            if (r.NextDouble() < 0.04)
            {
                w.Paused = true;
                later.Add((reconfigAt + (t0 - reconfigAt) * r.NextDouble(), $"worker {w.Name} wants to pause: {{'reason': 'bug 1203344: disk full'}}", "-"));
                continue;
            }

            if (r.NextDouble() < busyShare)
            {
                var candidates = m.Builders.Where(b => b.Group == w.Group).ToList();
                var builder = candidates[r.Next(candidates.Count)];
                var duration = Duration(builder, r);
                var startedAt = t0 - duration * r.NextDouble();
                var request = new SimRequest(nextRequestId++, builder, startedAt - TimeSpan.FromSeconds(r.Next(5, 900)));
                StartBuild(m, w, request, startedAt, startedAt + duration);
            }
        }

        if (withGraceful && m.Running.Count > 0)
        {
            var w = m.Running[r.Next(m.Running.Count)].Worker;
            w.Graceful = true;
            later.Add((t0 - TimeSpan.FromMinutes(r.Next(2, 20)), $"worker {w.Name} wants to stop: {{'reason': 'decommissioning, bug 1198435'}}", "-"));
        }

        foreach (var (at, message, system) in later.OrderBy(l => l.At))
        {
            Write(m, at, message, system);
        }

        if (m.Workers.Count > 0 && m.Load * Diurnal(t0) > 0.85)
        {
            for (var i = r.Next(1, 6); i > 0; i--)
            {
                var builder = m.Builders[r.Next(m.Builders.Count)];
                m.Pending.Add(new SimRequest(nextRequestId++, builder, t0 - TimeSpan.FromSeconds(r.Next(10, 900))));
            }
        }
    }

    private static string BrokerOf(SimWorker w) => "Broker," + w.Id.ToString(CultureInfo.InvariantCulture) + "," + w.Ip;

    private void AdvanceLocked()
    {
        var now = time.GetUtcNow();
        while (true)
        {
            var nextGrid = gridAt + Step;
            if (events.TryPeek(out _, out var key) && key.At <= nextGrid.UtcTicks && key.At <= now.UtcTicks)
            {
                var action = events.Dequeue();
                var at = new DateTimeOffset(key.At, TimeSpan.Zero);
                simNow = at > simNow ? at : simNow;
                action(at);
                continue;
            }

            if (nextGrid <= now)
            {
                gridAt = simNow = nextGrid;
                GridStep(nextGrid);
                continue;
            }

            break;
        }

        if (now > simNow)
        {
            simNow = now;
        }
    }

    private void Schedule(DateTimeOffset at, Action<DateTimeOffset> action) => events.Enqueue(action, (at.UtcTicks, eventSeq++));

    private void GridStep(DateTimeOffset t)
    {
        var minutes = Step.TotalMinutes;
        foreach (var m in sims)
        {
            var r = m.Rng;
            if (m.Flaky && !(m.FlakyUntil > t) && r.NextDouble() < minutes / 240)
            {
                m.FlakyUntil = t + TimeSpan.FromSeconds(r.Next(120, 480));
            }

            if (!m.Alive || m.Workers.Count == 0)
            {
                continue;
            }

            var arrivals = Poisson(m.Load * Diurnal(t) * m.Workers.Count / m.MeanBuildMinutes * minutes, r);
            for (var i = 0; i < arrivals; i++)
            {
                var builder = m.Builders[r.Next(m.Builders.Count)];
                // Buildbot collapses queued requests for one builder; the queue does not grow without bound.
                if (m.Pending.Count(p => p.Builder == builder) < 2 && m.Pending.Count < m.Workers.Count * 3)
                {
                    m.Pending.Add(new SimRequest(nextRequestId++, builder, t));
                }
            }

            foreach (var w in m.Workers)
            {
                if (w.Connected && r.NextDouble() < minutes / (60 * 36))
                {
                    DisconnectWorker(m, w, t, requeue: true);
                    Schedule(t + TimeSpan.FromSeconds(r.Next(60, 480)), WorkerReconnect(m, w));
                }
            }

            if (r.NextDouble() < minutes / (60 * 24 * 7))
            {
                var busy = m.Workers.Where(w => w.Build is not null && !w.Graceful).ToList();
                if (busy.Count > 0)
                {
                    var w = busy[r.Next(busy.Count)];
                    w.Graceful = true;
                    Write(m, t, $"worker {w.Name} wants to stop: {{'reason': 'reimaging'}}");
                }
            }

            Assign(m, t);
        }
    }

    /// <summary>Hands queued requests to idle workers, oldest first, unless the master is shutting down.</summary>
    private void Assign(SimMaster m, DateTimeOffset t)
    {
        if (!m.Alive || m.ShuttingDown || m.Pending.Count == 0)
        {
            return;
        }

        foreach (var request in m.Pending.ToList())
        {
            var idle = m.Workers.Where(w => w.Connected && !w.Paused && !w.Graceful && w.Build is null && w.Group == request.Builder.Group).ToList();
            if (idle.Count == 0)
            {
                continue;
            }

            m.Pending.Remove(request);
            var worker = idle[m.Rng.Next(idle.Count)];
            StartBuild(m, worker, request, t, t + Duration(request.Builder, m.Rng));
        }
    }

    private void StartBuild(SimMaster m, SimWorker w, SimRequest request, DateTimeOffset startedAt, DateTimeOffset endsAt)
    {
        var build = new SimBuild
        {
            Id = nextBuildId++,
            Builder = request.Builder,
            Number = request.Builder.NextNumber++,
            Request = request,
            StartedAt = startedAt,
            EndsAt = endsAt,
            Worker = w,
        };
        m.Running.Add(build);
        w.Build = build;
        Schedule(endsAt, at => FinishBuild(m, build, at));
    }

    private void FinishBuild(SimMaster m, SimBuild build, DateTimeOffset t)
    {
        if (build.Done)
        {
            return;
        }

        EndBuild(m, build);
        var w = build.Worker;
        if (w.Graceful && w.Connected)
        {
            // The master tells a graceful worker to shut down once its last build is done; its process exits.
            WorkerProcessExits(m, w, t);
        }

        if (m.ShuttingDown)
        {
            WaitingOrStop(m, t);
        }
        else
        {
            Assign(m, t);
        }
    }

    private static void EndBuild(SimMaster m, SimBuild build)
    {
        build.Done = true;
        m.Running.Remove(build);
        if (build.Worker.Build == build)
        {
            build.Worker.Build = null;
        }
    }

    private void WaitingOrStop(SimMaster m, DateTimeOffset t)
    {
        if (m.Running.Count > 0)
        {
            Write(m, t, string.Create(CultureInfo.InvariantCulture, $"Waiting for {m.Running.Count} build(s) to finish"));
            return;
        }

        Write(m, t, "No running jobs, starting shutdown immediately");
        Write(m, t, "Stopping reactor");
        StopProcess(m, t);
    }

    private void BeginCleanShutdown(SimMaster m, DateTimeOffset t)
    {
        m.ShuttingDown = true;
        Write(m, t, "Initiating clean shutdown");
        WaitingOrStop(m, t);
    }

    /// <summary>SIGTERM: Buildbot cancels running builds (not retried) and stops.</summary>
    private void HardStop(SimMaster m, DateTimeOffset t)
    {
        Write(m, t, "Initiating clean shutdown");
        foreach (var build in m.Running.ToList())
        {
            Write(m, t, "stopping build: Master Shutdown 5");
            EndBuild(m, build);
        }

        StopProcess(m, t);
    }

    private void StopProcess(SimMaster m, DateTimeOffset t)
    {
        foreach (var w in m.Workers.Where(w => w.Connected))
        {
            DisconnectWorker(m, w, t, requeue: false);
        }

        Write(m, t, "BuildMaster is stopped");
        Write(m, t, "Main loop terminated.");
        Write(m, t, "Server Shut Down.");
        m.Alive = false;
        m.ShuttingDown = false;
        m.Pid = null;
        m.Epoch++;
    }

    /// <summary>Starts the master process; false (and the log says why) when master.cfg is broken.</summary>
    private bool StartProcess(SimMaster m, DateTimeOffset t)
    {
        if (m.ConfigBroken)
        {
            Write(m, t, "Loading buildbot.tac...");
            Write(m, t, "Starting BuildMaster -- buildbot.version: 3.7.0-2");
            Write(m, t, $"Loading configuration from '{m.Info.MasterDir}/master.cfg'");
            Write(m, t, ConfigError(m));
            Write(m, t, "BuildMaster startup failed");
            Write(m, t, "Server Shut Down.");
            return false;
        }

        m.Alive = true;
        m.ShuttingDown = false;
        m.Pid = noise.Next(1200, 32768);
        m.StartedAt = t;
        m.Epoch++;
        WriteStartup(m, t);
        foreach (var w in m.Workers.Where(w => w.ProcessUp && !w.Connected))
        {
            // Workers are in their reconnect back-off; they find the master within the next minute.
            Schedule(t + TimeSpan.FromSeconds(10 + m.Rng.NextDouble() * 50), WorkerReconnect(m, w));
        }

        return true;
    }

    private void Reboot(SimMaster m, DateTimeOffset t)
    {
        if (m.Alive)
        {
            // The init script stops the master the hard way on the way down.
            HardStop(m, t);
        }

        var lost = new SshException(SshFailureKind.Unreachable, $"{m.Info.Hostname} is unreachable: Connection to {m.Info.Hostname} closed by remote host.", m.Info.Hostname);
        foreach (var follower in m.Followers)
        {
            follower.Writer.TryComplete(lost);
        }

        m.Followers.Clear();
        m.SshDownUntil = t + TimeSpan.FromSeconds(m.Rng.Next(40, 90));
        m.HostBootedAt = t + TimeSpan.FromSeconds(m.Rng.Next(12, 25));
        var epoch = ++m.Epoch;
        Schedule(m.SshDownUntil.Value + TimeSpan.FromSeconds(m.Rng.Next(20, 90)), at =>
        {
            if (m.Epoch == epoch && !m.Alive)
            {
                StartProcess(m, at);
            }
        });
    }

    private void DisconnectWorker(SimMaster m, SimWorker w, DateTimeOffset t, bool requeue)
    {
        var lostBuild = w.Build;
        if (lostBuild is not null)
        {
            EndBuild(m, lostBuild);
            if (requeue)
            {
                // A lost worker's build ends RETRY and its request is queued again (BUILDBOT.md §3, kill).
                m.Pending.Insert(0, lostBuild.Request);
            }
        }

        w.Connected = false;
        w.Epoch++;
        Write(m, t, $"Worker.detached({w.Name})", BrokerOf(w));
        if (lostBuild is not null && m.ShuttingDown && m.Alive)
        {
            WaitingOrStop(m, t);
        }
    }

    private void WorkerProcessExits(SimMaster m, SimWorker w, DateTimeOffset t)
    {
        DisconnectWorker(m, w, t, requeue: true);
        w.ProcessUp = false;
        // Someone on buildduty eventually starts it again; it comes back with graceful cleared.
        var epoch = w.Epoch;
        Schedule(t + TimeSpan.FromMinutes(m.Rng.Next(20, 90)), at =>
        {
            if (w.Epoch == epoch && !w.ProcessUp)
            {
                w.ProcessUp = true;
                WorkerReconnect(m, w)(at);
            }
        });
    }

    private Action<DateTimeOffset> WorkerReconnect(SimMaster m, SimWorker w)
    {
        var epoch = w.Epoch;
        return at =>
        {
            if (w.Epoch != epoch || w.Connected || !w.ProcessUp || !m.Alive || m.ShuttingDown)
            {
                return;
            }

            w.Connected = true;
            w.Graceful = false;
            WriteAttach(m, w, at);
            Assign(m, at);
        };
    }

    private void ScheduleTipMove(SimRepoLine line, DateTimeOffset from) =>
        Schedule(from + TimeSpan.FromMinutes(20 + tipRng.NextDouble() * 40), at =>
        {
            line.Previous = line.Tip;
            line.Tip = Hex(tipRng);
            ScheduleTipMove(line, at);
        });

    private void WriteStartup(SimMaster m, DateTimeOffset t)
    {
        Write(m, t, "Loading buildbot.tac...");
        Write(m, t, "Loaded.");
        Write(m, t, "twistd 22.4.0 (/usr/bin/python3 3.11.2) starting up.");
        Write(m, t, "reactor class: twisted.internet.epollreactor.EPollReactor.");
        Write(m, t, "Starting BuildMaster -- buildbot.version: 3.7.0-2");
        Write(m, t, $"Loading configuration from '{m.Info.MasterDir}/master.cfg'");
        Write(m, t, string.Create(CultureInfo.InvariantCulture, $"BuildbotSite starting on {m.Info.HttpPort}"));
        Write(m, t, string.Create(CultureInfo.InvariantCulture, $"PBServerFactory starting on {m.Info.PbPort}"));
        Write(m, t, "BuildMaster is running");
    }

    private void WriteAttach(SimMaster m, SimWorker w, DateTimeOffset t) =>
        Write(m, t, string.Create(CultureInfo.InvariantCulture,
            $"worker '{w.Name}' attaching from IPv4Address(type='TCP', host='{w.Ip}', port={49152 + (w.Id * 7919 % 16000)})"),
            BrokerOf(w));

    /// <summary>Writes the reconfig lines and returns them.</summary>
    private List<string> WriteReconfig(SimMaster m, DateTimeOffset t, bool ok, Random r)
    {
        var lines = new List<string>
        {
            Write(m, t, "beginning configuration update"),
            Write(m, t, $"Loading configuration from '{m.Info.MasterDir}/master.cfg'"),
        };
        if (ok)
        {
            lines.Add(Write(m, t, string.Create(CultureInfo.InvariantCulture, $"configuration update complete (took {1.5 + r.NextDouble() * 4:0.000} seconds)")));
        }
        else
        {
            lines.Add(Write(m, t, ConfigError(m)));
            lines.Add(Write(m, t, "configuration update aborted without making any changes (took 0.412 seconds)"));
        }

        return lines;
    }

    private static string ConfigError(SimMaster m) =>
        m.Builders.Count > 0
            ? $"builder '{m.Builders[0].Name}' uses unknown workers '{WorkerPrefixOf(m)}999'"
            : "builtins.NameError: name 'nightly_branch_list' is not defined";

    private static string WorkerPrefixOf(SimMaster m)
    {
        var name = m.Workers.Count > 0 ? m.Workers[0].Name : "worker-";
        return name[..(name.LastIndexOf('-') + 1)];
    }

    /// <summary>Appends a twistd.log line and hands its marker event, if any, to every follower.</summary>
    private string Write(SimMaster m, DateTimeOffset at, string message, string system = "-")
    {
        var line = at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "+0000 [" + system + "] " + message;
        m.Log.Add(line);
        if (m.Log.Count > LogCapacity + 100)
        {
            m.Log.RemoveRange(0, m.Log.Count - LogCapacity);
        }

        if (m.Followers.Count > 0 && TwistdLogParser.Parse(line, at) is { } ev)
        {
            foreach (var follower in m.Followers)
            {
                follower.Writer.TryWrite(ev);
            }
        }

        return line;
    }

    private static TimeSpan Duration(SimBuilder builder, Random r) =>
        TimeSpan.FromMinutes(Math.Clamp(builder.MeanMinutes * (0.6 + 0.8 * r.NextDouble()), 3, 95));

    /// <summary>Load over the day: the trees are busiest in US daytime (~20:00 UTC) and quietest at night.</summary>
    private static double Diurnal(DateTimeOffset t)
    {
        var hour = t.UtcDateTime.TimeOfDay.TotalHours;
        return 0.75 + 0.3 * Math.Cos(2 * Math.PI * (hour - 20) / 24);
    }

    private static int Poisson(double lambda, Random r)
    {
        var limit = Math.Exp(-lambda);
        var k = 0;
        var p = r.NextDouble();
        while (p > limit)
        {
            k++;
            p *= r.NextDouble();
        }

        return k;
    }

    /// <summary>12 hex digits, as <c>hg id -i</c> prints a changeset.</summary>
    private static string Hex(Random r)
    {
        Span<byte> bytes = stackalloc byte[6];
        r.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
