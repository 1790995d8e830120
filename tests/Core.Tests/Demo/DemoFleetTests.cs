using Microsoft.Extensions.Time.Testing;
using System.Text.Json.Nodes;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Demo;
using Wrangler.Core.Fleet;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Tests.Demo;

public sealed class DemoFleetTests
{
    // US afternoon: the demo fleet is busy then.
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 18, 0, 0, TimeSpan.Zero);
    private const int Seed = 42;

    private static (DemoFleet Fleet, FakeTimeProvider Time) NewFleet(int seed = Seed)
    {
        var time = new FakeTimeProvider(Start);
        return (new DemoFleet(time, seed), time);
    }

    private static MasterInfo Named(DemoFleet fleet, string name) => fleet.Masters.Single(m => m.Name == name);

    private static readonly (string Repo, string Branch)[] ProductionBranches =
        [("buildbotcustom", "production-0.8"), ("buildbot-configs", "production"), ("tools", "default")];

    [Fact]
    public void The_fleet_is_big_enough_to_be_a_fleet()
    {
        var (fleet, _) = NewFleet();

        Assert.True(fleet.Masters.Count >= 24, $"{fleet.Masters.Count} masters");
        Assert.True(fleet.Masters.Select(m => m.Bucket).Distinct().Count() >= 6);
        Assert.Equal(["aws-us-east-1", "scl3"], fleet.Masters.Select(m => m.Datacentre).Distinct().Order());
        Assert.Equal(fleet.Masters.Count, fleet.Masters.Select(m => m.Name).Distinct().Count());
        Assert.Equal(Enum.GetValues<MasterRole>().Order(), fleet.Masters.Select(m => m.Role).Distinct().Order());
        Assert.InRange(fleet.Masters.Count(m => m.Role == MasterRole.Scheduler), 1, 2);
        Assert.Single(fleet.Masters, m => !m.Enabled);
        Assert.Contains(fleet.Masters, m => m.Bucket == "tests1-linux32");
        Assert.Contains(fleet.Masters, m => m.Bucket == "tests1-linux64-aws-us-east-1");
        Assert.All(fleet.Masters, m =>
        {
            Assert.Equal(new Uri($"http://{m.Hostname}:{m.HttpPort}/api/v2"), m.ApiUrl);
            Assert.Equal(m.Basedir + "/bin/buildbot", m.BuildbotBin);
            Assert.Equal(ProductionBranches, m.Repos.Select(r => (r.Name, r.Branch)));
        });
    }

    [Fact]
    public void The_inventory_passes_the_inventory_parser_unchanged()
    {
        var (fleet, _) = NewFleet();
        var json = new JsonArray(fleet.Masters.Select(m => (JsonNode)new JsonObject
        {
            ["name"] = m.Name,
            ["hostname"] = m.Hostname,
            ["enabled"] = m.Enabled,
            ["environment"] = m.Environment,
            ["role"] = m.Role.ToString().ToLowerInvariant(),
            ["datacentre"] = m.Datacentre,
            ["basedir"] = m.Basedir,
            ["master_dir"] = m.MasterDir,
            ["http_port"] = m.HttpPort,
            ["pb_port"] = m.PbPort,
            ["buildbot_bin"] = m.BuildbotBin,
            ["ip_address"] = m.IpAddress,
            ["ssh_user"] = m.SshUser,
            ["bbcustom_dir"] = m.Repos[0].Dir,
            ["bbcustom_branch"] = m.Repos[0].Branch,
            ["bbconfigs_dir"] = m.Repos[1].Dir,
            ["bbconfigs_branch"] = m.Repos[1].Branch,
            ["tools_dir"] = m.Repos[2].Dir,
            ["tools_branch"] = m.Repos[2].Branch,
        }).ToArray()).ToJsonString();

        var parsed = InventoryParser.Parse(json);

        Assert.Empty(parsed.Problems);
        Assert.Equal(fleet.Masters.Count, parsed.Masters.Count);
        foreach (var (mine, theirs) in fleet.Masters.Zip(parsed.Masters))
        {
            Assert.Equal(mine with { Repos = [], Extra = theirs.Extra }, theirs with { Repos = [] });
            Assert.Equal(mine.Repos, theirs.Repos);
            Assert.Equal(mine.Bucket, theirs.Bucket);
        }
    }

    [Fact]
    public async Task Hosts_report_realistic_facts()
    {
        var (fleet, _) = NewFleet();

        foreach (var m in fleet.Masters)
        {
            var facts = await fleet.Host(m).GetFactsAsync();

            Assert.Equal(Start, facts.CollectedAt);
            Assert.Empty(facts.Errors);
            Assert.InRange(facts.Elapsed, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(80));
            Assert.InRange(facts.LogTail.Count, 1, 20);
            Assert.All(facts.Repos, r => Assert.Matches("^[0-9a-f]{12}$", r.Revision));
            Assert.All(facts.Repos, r => Assert.True(r.OnExpectedBranch));
            Assert.All(TwistdLogParser.ParseAll(facts.LogTail, Start), e => Assert.True(e.At <= Start));
            if (m.Enabled)
            {
                Assert.True(facts.ProcessAlive, m.Name);
                Assert.NotNull(facts.Pid);
                Assert.True(Start - facts.ProcessStartedAt > TimeSpan.FromHours(12), m.Name);
                Assert.True(facts.HostUptime >= Start - facts.ProcessStartedAt);
                Assert.Contains(TwistdLogParser.ParseAll(facts.LogTail, Start), e => e.Kind == MasterLogEventKind.ReconfigComplete);
            }
            else
            {
                Assert.False(facts.ProcessAlive);
                Assert.Null(facts.Pid);
            }
        }
    }

    [Fact]
    public async Task Workers_and_builds_look_like_a_busy_fleet()
    {
        var (fleet, _) = NewFleet();
        var allWorkers = new List<BuildbotWorker>();
        var allBuilds = new List<RunningBuild>();
        foreach (var m in fleet.Masters.Where(m => m.Enabled && m.Role != MasterRole.Scheduler))
        {
            var api = fleet.Api(m);
            var master = Assert.Single(await api.GetMastersAsync());
            Assert.Equal($"{m.Hostname}:{m.MasterDir}", master.Name);
            Assert.True(master.Active);
            var workers = await api.GetWorkersAsync();
            Assert.InRange(workers.Count, 6, 20);
            Assert.All(workers, w => Assert.NotEmpty(w.ConfiguredOn));
            Assert.All(workers.Where(w => w.IsConnected), w => Assert.Equal([master.MasterId], w.ConnectedTo));
            var builds = await api.GetRunningBuildsAsync();
            Assert.All(builds, b =>
            {
                Assert.False(string.IsNullOrEmpty(b.BuilderName));
                Assert.NotNull(b.WorkerName);
                Assert.True(b.StartedAt <= Start);
                Assert.Equal(master.MasterId, b.MasterId);
                Assert.Contains(workers, w => w.Name == b.WorkerName && w.IsConnected);
            });
            var requests = await api.GetPendingRequestsAsync();
            Assert.Equal(builds.Count, requests.Count(r => r.Claimed));
            allWorkers.AddRange(workers);
            allBuilds.AddRange(builds);
        }

        Assert.Equal(allWorkers.Count, allWorkers.Select(w => w.Name).Distinct().Count());
        Assert.True(allBuilds.Count > allWorkers.Count / 3, $"{allBuilds.Count} builds on {allWorkers.Count} workers");
        Assert.Contains(allWorkers, w => w.Paused);
        Assert.Contains(allWorkers, w => w.Graceful);
        Assert.Contains(allWorkers, w => !w.IsConnected);
        Assert.Contains(allBuilds, b => b.BuilderName.StartsWith("Ubuntu VM 12.04 x64 mozilla-inbound opt test ", StringComparison.Ordinal));
        Assert.True(fleet.Masters.Where(m => m.Role == MasterRole.Tests && m.Enabled).Average(m => allWorkers.Count(w => w.ConfiguredOn[0].MasterId == MasterIdOf(fleet, m)))
                    > fleet.Masters.Where(m => m.Role == MasterRole.Try).Average(m => allWorkers.Count(w => w.ConfiguredOn[0].MasterId == MasterIdOf(fleet, m))));
    }

    private static int MasterIdOf(DemoFleet fleet, MasterInfo m) => fleet.Api(m).GetMastersAsync().Result[0].MasterId;

    [Fact]
    public async Task Builds_start_and_finish_as_time_advances()
    {
        var (fleet, time) = NewFleet();
        var api = fleet.Api(Named(fleet, "bm01-tests1-linux32"));
        var before = await api.GetRunningBuildsAsync();
        Assert.NotEmpty(before);

        time.Advance(TimeSpan.FromHours(2));
        var after = await api.GetRunningBuildsAsync();

        Assert.NotEmpty(after);
        Assert.DoesNotContain(after, b => before.Any(x => x.BuildId == b.BuildId));
        Assert.All(after, b => Assert.True(b.StartedAt > Start));
        // Build numbers count up per builder.
        foreach (var b in after)
        {
            if (before.FirstOrDefault(x => x.BuilderId == b.BuilderId) is { } earlier)
            {
                Assert.True(b.Number > earlier.Number);
            }
        }
    }

    [Fact]
    public async Task Builds_queue_when_workers_are_busy()
    {
        var (fleet, time) = NewFleet();
        var sawQueue = false;
        for (var i = 0; i < 24 && !sawQueue; i++)
        {
            foreach (var m in fleet.Masters.Where(m => m.Enabled && m.Role != MasterRole.Scheduler && m.Name is not ("bm74-build1" or "bm107-tests1-windows")))
            {
                var requests = await fleet.Api(m).GetPendingRequestsAsync();
                if (requests.Any(r => !r.Claimed))
                {
                    Assert.All(requests.Where(r => !r.Claimed), r => Assert.Null(r.ClaimedByMasterId));
                    sawQueue = true;
                }
            }

            time.Advance(TimeSpan.FromMinutes(10));
        }

        Assert.True(sawQueue);
    }

    [Fact]
    public async Task Tips_move_and_masters_fall_out_of_sync()
    {
        var (fleet, time) = NewFleet();

        var tips = await fleet.GetTipsAsync(ProductionBranches, CancellationToken.None);
        Assert.Equal(3, tips.Count);
        Assert.All(tips.Values, t => Assert.Matches("^[0-9a-f]{12}$", t));
        var behind = await BehindAsync(fleet, tips);
        Assert.InRange(behind.Count, 2, 6);

        time.Advance(TimeSpan.FromMinutes(61));
        var moved = await fleet.GetTipsAsync(ProductionBranches, CancellationToken.None);

        Assert.All(ProductionBranches, p => Assert.NotEqual(tips[p], moved[p]));
        var nowBehind = await BehindAsync(fleet, moved);
        Assert.All(fleet.Masters.Where(m => m.Name is not ("bm74-build1" or "bm107-tests1-windows")), m => Assert.Contains(m.Name, nowBehind));
        Assert.Empty(await fleet.GetTipsAsync([("buildbot-configs", "default"), ("nosuch", "production")], CancellationToken.None));
    }

    private static async Task<List<string>> BehindAsync(DemoFleet fleet, IReadOnlyDictionary<(string Repo, string Branch), string> tips)
    {
        var names = new List<string>();
        foreach (var m in fleet.Masters)
        {
            try
            {
                var facts = await fleet.Host(m).GetFactsAsync();
                if (facts.Repos.Any(r => r.Revision != tips[(r.Name, r.ExpectedBranch)]))
                {
                    names.Add(m.Name);
                }
            }
            catch (SshException)
            {
                // A flaky master may be away right now.
            }
        }

        return names;
    }

    [Fact]
    public async Task A_graceful_stop_lasts_as_long_as_the_longest_running_build()
    {
        var (fleet, time) = NewFleet();
        var candidates = new List<(MasterInfo Master, int Builds)>();
        foreach (var name in new[] { "bm70-build1", "bm71-build1", "bm72-build1", "bm73-build1", "bm75-build1" })
        {
            candidates.Add((Named(fleet, name), (await fleet.Api(Named(fleet, name)).GetRunningBuildsAsync()).Count));
        }

        var master = candidates.MaxBy(c => c.Builds).Master;
        var host = fleet.Host(master);
        var api = fleet.Api(master);
        var events = new List<MasterLogEvent>();
        var following = new TaskCompletionSource();
        using var cts = new CancellationTokenSource();
        var follow = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in host.FollowLogAsync(() => following.TrySetResult(), cts.Token))
                {
                    lock (events)
                    {
                        events.Add(e);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await following.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var draining = await api.GetRunningBuildsAsync();
        Assert.True(draining.Count >= 2, $"{draining.Count} builds on {master.Name}");

        Assert.True((await host.GracefulStopAsync()).Succeeded);

        var stoppedAt = time.GetUtcNow();
        var lastRunning = new Dictionary<int, DateTimeOffset>();
        DateTimeOffset? downAt = null;
        for (var i = 0; i < 24 * 60 && downAt is null; i++)
        {
            time.Advance(TimeSpan.FromSeconds(15));
            var facts = await host.GetFactsAsync();
            if (!facts.ProcessAlive)
            {
                downAt = time.GetUtcNow();
                break;
            }

            var running = await api.GetRunningBuildsAsync();
            Assert.NotEmpty(running);
            Assert.All(running, b => Assert.Contains(draining, d => d.BuildId == b.BuildId));
            foreach (var b in running)
            {
                lastRunning[b.BuildId] = time.GetUtcNow();
            }
        }

        Assert.NotNull(downAt);
        // The master went down in the same 15 s in which its last build ended, and not before.
        Assert.Equal(downAt.Value - TimeSpan.FromSeconds(15), lastRunning.Values.DefaultIfEmpty(stoppedAt).Max());
        Assert.True(downAt - stoppedAt > TimeSpan.FromMinutes(1));
        var apiError = await Assert.ThrowsAsync<BuildbotApiException>(() => api.GetWorkersAsync());
        Assert.Equal(BuildbotErrorKind.Unreachable, apiError.Kind);

        await WaitUntil(() => { lock (events) { return events.Any(e => e.Kind == MasterLogEventKind.ShutDown); } });
        await cts.CancelAsync();
        await follow;
        List<MasterLogEvent> seen;
        lock (events)
        {
            seen = [.. events];
        }

        Assert.Equal(MasterLogEventKind.CleanShutdownInitiated, seen[0].Kind);
        var waiting = seen.Where(e => e.Kind == MasterLogEventKind.WaitingForBuilds).Select(e => e.Builds!.Value).ToList();
        Assert.Equal(draining.Count, waiting[0]);
        Assert.Equal(waiting.OrderDescending(), waiting);
        Assert.Equal(MasterLogEventKind.ShutDown, seen[^1].Kind);
        Assert.Equal(downAt.Value - TimeSpan.FromSeconds(15), seen[^1].At, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_hard_stop_is_immediate_and_a_start_brings_the_workers_back()
    {
        var (fleet, time) = NewFleet();
        var master = Named(fleet, "bm01-tests1-linux32");
        var host = fleet.Host(master);
        var api = fleet.Api(master);
        Assert.NotEmpty(await api.GetRunningBuildsAsync());
        var workers = await api.GetWorkersAsync();

        Assert.True((await host.HardStopAsync()).Succeeded);

        var stopped = await host.GetFactsAsync();
        Assert.False(stopped.ProcessAlive);
        Assert.Null(stopped.ProcessStartedAt);
        Assert.Contains(stopped.LogTail, l => l.EndsWith("Server Shut Down.", StringComparison.Ordinal));
        Assert.Equal(BuildbotErrorKind.Unreachable, (await Assert.ThrowsAsync<BuildbotApiException>(() => api.GetRunningBuildsAsync())).Kind);
        Assert.False((await host.ReconfigAsync()).Succeeded);

        time.Advance(TimeSpan.FromMinutes(3));
        Assert.True((await host.StartAsync()).Succeeded);
        var started = await host.GetFactsAsync();
        Assert.True(started.ProcessAlive);
        Assert.Equal(time.GetUtcNow(), started.ProcessStartedAt);
        Assert.Equal("BuildMaster is running", started.LogTail[^1][(started.LogTail[^1].IndexOf("] ", StringComparison.Ordinal) + 2)..]);
        Assert.DoesNotContain(await api.GetWorkersAsync(), w => w.IsConnected);
        Assert.Equal(1, (await host.StartAsync()).ExitCode);

        time.Advance(TimeSpan.FromSeconds(61));
        var back = await api.GetWorkersAsync();
        Assert.True(back.Count(w => w.IsConnected) >= workers.Count(w => !w.Graceful) - 1);

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Contains(await api.GetRunningBuildsAsync(), b => b.StartedAt > started.ProcessStartedAt);
    }

    [Fact]
    public async Task Reconfig_moves_nothing_but_the_log_and_updating_repos_reaches_the_tips()
    {
        var (fleet, time) = NewFleet();
        var master = Named(fleet, "bm03-tests1-linux64");
        var host = fleet.Host(master);
        time.Advance(TimeSpan.FromMinutes(61));
        var before = await host.GetFactsAsync();

        var reconfig = await host.ReconfigAsync();

        Assert.Equal(ReconfigOutcome.Complete, reconfig.Outcome);
        Assert.Equal([MasterLogEventKind.ReconfigBegun, MasterLogEventKind.ReconfigComplete], reconfig.Events.Select(e => e.Kind));
        var after = await host.GetFactsAsync();
        Assert.Equal(before.Repos, after.Repos);
        Assert.Equal(before.ProcessStartedAt, after.ProcessStartedAt);
        Assert.Equal(time.GetUtcNow(), TwistdLogParser.ParseAll(after.LogTail, Start).Last(e => e.Kind == MasterLogEventKind.ReconfigComplete).At);

        var updates = await host.UpdateReposAsync();

        var tips = await fleet.GetTipsAsync(ProductionBranches, CancellationToken.None);
        Assert.All(updates, u => Assert.True(u.Succeeded && u.Changed));
        Assert.Equal(before.Repos.Select(r => r.Revision), updates.Select(u => u.Before));
        var updated = await host.GetFactsAsync();
        Assert.All(updated.Repos, r => Assert.Equal(tips[(r.Name, r.ExpectedBranch)], r.Revision));
        Assert.All(await host.UpdateReposAsync(), u => Assert.False(u.Changed));
    }

    [Fact]
    public async Task A_broken_config_fails_checkconfig_and_aborts_reconfig()
    {
        var (fleet, _) = NewFleet();
        var master = Named(fleet, "bm81-try1");
        var host = fleet.Host(master);
        Assert.True((await host.CheckConfigAsync()).IsGood);

        fleet.BreakConfig(master.Name);

        var check = await host.CheckConfigAsync();
        Assert.False(check.IsGood);
        Assert.Contains("uses unknown workers", check.Output, StringComparison.Ordinal);
        var reconfig = await host.ReconfigAsync();
        Assert.Equal(ReconfigOutcome.Aborted, reconfig.Outcome);
        Assert.Contains("uses unknown workers", reconfig.Message, StringComparison.Ordinal);
        Assert.Contains(reconfig.Events, e => e.Kind == MasterLogEventKind.ReconfigAborted);
        Assert.True((await host.GetFactsAsync()).ProcessAlive);
        Assert.True((await host.HardStopAsync()).Succeeded);
        Assert.False((await host.StartAsync()).Succeeded);
        Assert.False((await host.GetFactsAsync()).ProcessAlive);

        fleet.BreakConfig(master.Name, false);

        Assert.True((await host.CheckConfigAsync()).IsGood);
        Assert.True((await host.StartAsync()).Succeeded);
        Assert.Equal(ReconfigOutcome.Complete, (await host.ReconfigAsync()).Outcome);
        Assert.Throws<ArgumentException>(() => fleet.BreakConfig("bm99-nosuch"));
    }

    [Fact]
    public async Task A_reboot_takes_the_host_away_and_the_master_comes_back_by_itself()
    {
        var (fleet, time) = NewFleet();
        var master = Named(fleet, "bm71-build1");
        var host = fleet.Host(master);
        await host.CreateLockAsync();
        Assert.True((await host.GetFactsAsync()).LockPresent);
        var rebootAt = time.GetUtcNow();

        Assert.True((await host.RebootAsync()).Succeeded);

        Assert.Equal(SshFailureKind.Unreachable, (await Assert.ThrowsAsync<SshException>(() => host.GetFactsAsync())).Kind);
        Assert.Equal(BuildbotErrorKind.Unreachable, (await Assert.ThrowsAsync<BuildbotApiException>(() => fleet.Api(master).GetWorkersAsync())).Kind);
        // sshd comes back first; the init script starts the master a little later.
        HostFacts? booting = null;
        while (booting is null)
        {
            Assert.True(time.GetUtcNow() - rebootAt < TimeSpan.FromMinutes(2), "the host never came back");
            time.Advance(TimeSpan.FromSeconds(5));
            booting = await TryFactsAsync(host);
        }

        Assert.False(booting.ProcessAlive);
        Assert.True(booting.HostUptime < time.GetUtcNow() - rebootAt);

        var back = booting;
        while (!back.ProcessAlive)
        {
            Assert.True(time.GetUtcNow() - rebootAt < TimeSpan.FromMinutes(4), "the master never came back");
            time.Advance(TimeSpan.FromSeconds(5));
            back = await host.GetFactsAsync();
        }

        Assert.True(back.ProcessStartedAt > rebootAt);
        Assert.True(back.LockPresent);
        Assert.True(back.HostUptime < TimeSpan.FromMinutes(4));
        Assert.Contains(TwistdLogParser.ParseAll(back.LogTail, Start), e => e.Kind == MasterLogEventKind.Started && e.At > rebootAt);
    }

    private static async Task<HostFacts?> TryFactsAsync(IMasterHost host)
    {
        try
        {
            return await host.GetFactsAsync();
        }
        catch (SshException)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_flaky_master_is_unreachable_now_and_then()
    {
        var (fleet, time) = NewFleet();
        var master = Named(fleet, "bm74-build1");
        var host = fleet.Host(master);
        var api = fleet.Api(master);
        int up = 0, down = 0;
        for (var i = 0; i < 24 * 60; i++)
        {
            try
            {
                await host.GetFactsAsync();
                await api.GetWorkersAsync();
                up++;
            }
            catch (SshException ex)
            {
                Assert.Equal(SshFailureKind.Unreachable, ex.Kind);
                Assert.Equal(BuildbotErrorKind.Unreachable, (await Assert.ThrowsAsync<BuildbotApiException>(() => api.GetWorkersAsync())).Kind);
                down++;
            }

            time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.InRange(down, 2, up / 4);
    }

    [Fact]
    public async Task Workers_can_be_paused_and_stopped_and_unknown_ones_are_refused()
    {
        var (fleet, time) = NewFleet();
        var api = fleet.Api(Named(fleet, "bm04-tests1-linux64"));
        var workers = await api.GetWorkersAsync();
        var busy = (await api.GetRunningBuildsAsync()).Select(b => b.WorkerName).ToHashSet();
        var idle = workers.First(w => w.IsConnected && !w.Paused && !w.Graceful && !busy.Contains(w.Name));
        var other = workers.First(w => w.IsConnected && w.Name != idle.Name && !w.Paused);

        await api.ControlWorkerAsync(other.Name, WorkerAction.Pause, "bug 1: disk full");
        await api.ControlWorkerAsync(idle.Name, WorkerAction.GracefulStop, "reimage");
        var now = await api.GetWorkersAsync();
        Assert.True(now.Single(w => w.Name == other.Name).Paused);
        Assert.True(now.Single(w => w.Name == idle.Name) is { Graceful: true, IsConnected: true });

        time.Advance(TimeSpan.FromSeconds(3));
        Assert.True((await api.GetWorkersAsync()).Single(w => w.Name == idle.Name) is { Graceful: true, IsConnected: false });

        await api.ControlWorkerAsync(other.Name, WorkerAction.Unpause, "fixed");
        Assert.False((await api.GetWorkersAsync()).Single(w => w.Name == other.Name).Paused);
        var unknown = await Assert.ThrowsAsync<BuildbotApiException>(() => api.ControlWorkerAsync("nosuch-worker-001", WorkerAction.Pause, "x"));
        Assert.Equal(BuildbotErrorKind.UnknownWorker, unknown.Kind);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_fleet_however_it_is_polled()
    {
        var (a, timeA) = NewFleet(7);
        var (b, timeB) = NewFleet(7);
        var (c, _) = NewFleet(8);

        Assert.Equal(await SnapshotAsync(a), await SnapshotAsync(b));
        Assert.NotEqual(await SnapshotAsync(a), await SnapshotAsync(c));

        // One is looked at every 7 minutes, the other only at the end: they still agree.
        for (var i = 0; i < 26; i++)
        {
            timeA.Advance(TimeSpan.FromMinutes(7));
            await SnapshotAsync(a);
        }

        timeB.Advance(TimeSpan.FromMinutes(7 * 26));
        Assert.Equal(await SnapshotAsync(a), await SnapshotAsync(b));
    }

    private static async Task<string> SnapshotAsync(DemoFleet fleet)
    {
        var lines = new List<string>();
        foreach (var m in fleet.Masters)
        {
            lines.Add($"{m.Name} {m.Hostname} {m.Bucket} {m.Enabled}");
            try
            {
                var facts = await fleet.Host(m).GetFactsAsync();
                lines.Add(string.Join(' ', facts.Repos.Select(r => r.Revision)) + $" {facts.ProcessAlive} {facts.ProcessStartedAt}");
                lines.Add(string.Join('\n', facts.LogTail));
                var api = fleet.Api(m);
                lines.AddRange((await api.GetRunningBuildsAsync()).Select(x => $"{x.BuildId} {x.BuilderName} {x.Number} {x.WorkerName} {x.StartedAt}"));
                lines.AddRange((await api.GetWorkersAsync()).Select(x => $"{x.Name} {x.IsConnected} {x.Paused} {x.Graceful}"));
                lines.Add((await api.GetPendingRequestsAsync()).Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (Exception ex) when (ex is SshException or BuildbotApiException)
            {
                lines.Add(ex.Message);
            }
        }

        return string.Join('\n', lines);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(10);
        }
    }
}
