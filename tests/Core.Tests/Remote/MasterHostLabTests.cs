using System.Diagnostics;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;
using Wrangler.Core.Remote;
using Wrangler.Core.Tests.Lab;
using Wrangler.Lab;
using Xunit.Abstractions;

namespace Wrangler.Core.Tests.Remote;

[Collection("lab")]
public sealed class MasterHostLabTests(LabFixture lab, ITestOutputHelper output)
{
    private LabFleet Fleet => lab.Fleet;

    /// <summary>Counts calls, to prove "one round trip".</summary>
    private sealed class CountingRunner(ISshRunner inner) : ISshRunner
    {
        public int Calls;

        public Task<RemoteResult> RunAsync(SshTarget target, IReadOnlyList<string> argv, TimeSpan timeout, Action<OutputLine>? onLine = null, CancellationToken ct = default)
        {
            Interlocked.Increment(ref Calls);
            return inner.RunAsync(target, argv, timeout, onLine, ct);
        }
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Facts_come_back_in_one_round_trip_and_match_the_truth(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var m = Fleet.Masters[0];
        var info = access.Master(m);
        var counting = new CountingRunner(access.Runner);
        var host = new SshMasterHost(counting, info, TimeProvider.System);
        await host.RemoveLockAsync();
        counting.Calls = 0;

        var facts = await host.GetFactsAsync(logLines: 5);

        output.WriteLine($"facts in {facts.Elapsed.TotalMilliseconds:0} ms: pid {facts.Pid}, started {facts.ProcessStartedAt}, uptime {facts.HostUptime}");
        Assert.Equal(1, counting.Calls);
        Assert.Empty(facts.Errors);
        Assert.Equal(int.Parse(File.ReadAllText(m.TwistdPidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture), facts.Pid);
        Assert.True(facts.ProcessAlive);
        Assert.False(facts.LockPresent);
        Assert.NotNull(facts.HostUptime);
        Assert.InRange(facts.ProcessStartedAt!.Value, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddSeconds(2));
        Assert.Equal(5, facts.LogTail.Count);
        Assert.Equal(File.ReadAllLines(m.TwistdLog)[^5..], facts.LogTail);
        Assert.Equal(3, facts.Repos.Count);
        foreach (var repo in facts.Repos)
        {
            var truth = (await Fleet.RunAsync("/usr/bin/hg", "-R", repo.Dir, "id", "-i")).Trim();
            var branch = (await Fleet.RunAsync("/usr/bin/hg", "-R", repo.Dir, "branch")).Trim();
            Assert.Equal(truth, repo.Revision);
            Assert.Equal(branch, repo.Branch);
            Assert.True(repo.OnExpectedBranch, $"{repo.Name} is on {repo.Branch}, expected {repo.ExpectedBranch}");
        }

        await host.CreateLockAsync();
        Assert.True(File.Exists(Path.Combine(m.MasterDir, "reconfig.lock")));
        Assert.True((await host.GetFactsAsync()).LockPresent);
        await host.RemoveLockAsync();
        Assert.False((await host.GetFactsAsync()).LockPresent);
    }

    /// <summary>
    /// The poll reads revisions from .hg/dirstate and .hg/branch, not from hg (RemoteScripts.Facts); whatever state a
    /// checkout is in, what it reports is what <c>hg id -i</c> and <c>hg branch</c> say.
    /// </summary>
    [Fact]
    public async Task Revisions_read_without_hg_equal_hg_id_after_updates_branches_merges_and_an_uncommitted_merge()
    {
        await using var access = LabAccess.For(Fleet, "sshnet");
        var dir = Directory.CreateTempSubdirectory("wrangler-dirstate-").FullName;
        var repo = Path.Combine(dir, "checkout");
        try
        {
            async Task<string> Hg(params string[] args) => (await Fleet.RunAsync("/usr/bin/hg", ["--config", "ui.username=lab <lab@example.org>", "-R", repo, .. args])).Trim();
            async Task CommitAsync(string file, string text)
            {
                await File.WriteAllTextAsync(Path.Combine(repo, file), text);
                await Hg("commit", "-q", "-A", "-m", $"{file}: {text}");
            }

            await Fleet.RunAsync("/usr/bin/hg", "init", repo);
            var info = access.Master(Fleet.Masters[0]) with { Repos = [new RepoCheckout("scratch", repo, "production")] };
            var host = new SshMasterHost(access.Runner, info, TimeProvider.System);
            async Task SameAsHgAsync(string when)
            {
                var facts = await host.GetFactsAsync(0);
                var scratch = Assert.Single(facts.Repos);
                Assert.True(scratch.Error is null, $"{when}: {scratch.Error}");
                Assert.Equal(await Hg("id", "-i"), scratch.Revision);
                Assert.Equal(await Hg("branch"), scratch.Branch);
            }

            await SameAsHgAsync("an empty repository");
            await CommitAsync("a", "1");
            await SameAsHgAsync("one commit on default");
            await Hg("branch", "-q", "production");
            await CommitAsync("a", "2");
            await CommitAsync("b", "3");
            await SameAsHgAsync("on a named branch");
            await Hg("update", "-q", "-r", "default");
            await SameAsHgAsync("updated back to default");
            await CommitAsync("c", "4");
            await Hg("update", "-q", "-r", "production");
            await Hg("merge", "-q", "-r", "default");
            await SameAsHgAsync("an uncommitted merge (hg answers: two parents)");
            await Hg("commit", "-q", "-m", "merge default");
            await SameAsHgAsync("the merge committed");
            await Hg("update", "-q", "-r", "1");
            await SameAsHgAsync("updated to an older revision by number");

            // The one thing the fast path does not see, and the proof it ran: hg marks an edited checkout with '+'.
            await File.WriteAllTextAsync(Path.Combine(repo, "a"), "edited by hand");
            Assert.Equal(await Hg("id", "-i"), Assert.Single((await host.GetFactsAsync(0)).Repos).Revision + "+");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Update_repos_pulls_to_the_branch_tip_and_reports_before_and_after(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var m = Fleet.Masters[1];
        var host = access.Fleet.Host(access.Master(m));
        var before = (await host.GetFactsAsync()).Repos.Single(r => r.Name == LabRepos.Tools).Revision;
        await Fleet.CommitUpstreamAsync(LabRepos.Tools, "wrangler-update-test.txt", Guid.NewGuid().ToString(), "test: update repos");
        var tip = (await Fleet.UpstreamTipAsync(LabRepos.Tools)).Trim();

        var results = await host.UpdateReposAsync();

        var tools = results.Single(r => r.Name == LabRepos.Tools);
        Assert.True(tools.Succeeded, tools.Output);
        Assert.Equal(before, tools.Before);
        Assert.NotEqual(tools.Before, tools.After);
        Assert.StartsWith(tools.After!, tip, StringComparison.Ordinal);
        Assert.All(results, r => Assert.True(r.Succeeded, r.Output));
        Assert.Equal(tools.After, (await host.GetFactsAsync()).Repos.Single(r => r.Name == LabRepos.Tools).Revision);
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Checkconfig_and_reconfig_of_a_good_config_complete_and_a_broken_one_aborts_keeping_the_old_config(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var m = Fleet.Masters[2];
        var info = access.Master(m);
        var host = access.Fleet.Host(info);
        var api = access.Fleet.Api(info);
        var cfg = Path.Combine(m.MasterDir, "master.cfg");
        var original = File.ReadAllText(cfg);
        var buildersBefore = (await api.GetBuildersAsync()).Where(b => b.MasterIds.Count > 0).Select(b => b.Name).Order().ToList();
        try
        {
            Assert.True((await host.CheckConfigAsync()).IsGood);

            var good = await host.ReconfigAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"good: {good.Outcome} in {good.Elapsed.TotalMilliseconds:0} ms: {good.Message}");
            Assert.Equal(ReconfigOutcome.Complete, good.Outcome);
            Assert.Contains(good.Events, e => e.Kind == MasterLogEventKind.ReconfigBegun);
            Assert.True(good.Elapsed < TimeSpan.FromSeconds(10));

            File.WriteAllText(cfg, original + "\nundefined_name_put_here_by_wrangler_test\n");
            var check = await host.CheckConfigAsync();
            Assert.False(check.IsGood);
            Assert.Contains("undefined_name_put_here_by_wrangler_test", check.Output, StringComparison.Ordinal);

            var broken = await host.ReconfigAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"broken: {broken.Outcome} in {broken.Elapsed.TotalMilliseconds:0} ms: {broken.Message}");
            Assert.Equal(ReconfigOutcome.Aborted, broken.Outcome);
            Assert.Contains("undefined_name_put_here_by_wrangler_test", broken.Message, StringComparison.Ordinal);
            Assert.True(broken.Elapsed < TimeSpan.FromSeconds(10));

            var facts = await host.GetFactsAsync();
            Assert.True(facts.ProcessAlive);
            Assert.Equal(buildersBefore, (await api.GetBuildersAsync()).Where(b => b.MasterIds.Count > 0).Select(b => b.Name).Order().ToList());
        }
        finally
        {
            File.WriteAllText(cfg, original);
            Assert.Equal(ReconfigOutcome.Complete, (await host.ReconfigAsync(TimeSpan.FromSeconds(30))).Outcome);
        }
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Reconfig_of_a_master_that_is_not_running_says_so(string transport)
    {
        var dir = Directory.CreateTempSubdirectory("wr-nomaster-").FullName;
        try
        {
            await using var access = LabAccess.For(Fleet, transport);
            var info = access.Master(Fleet.Masters[0]) with { Name = "ghost", MasterDir = dir };

            var result = await access.Fleet.Host(info).ReconfigAsync(TimeSpan.FromSeconds(5));

            Assert.Equal(ReconfigOutcome.NotRunning, result.Outcome);
            Assert.Contains("twistd.pid", result.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Graceful_stop_waits_for_the_running_build_then_start_brings_the_master_and_its_workers_back(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var m = Fleet.Masters[2];
        var info = access.Master(m);
        var host = access.Fleet.Host(info);
        var api = access.Fleet.Api(info);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var following = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = new List<MasterLogEvent>();
        var shutDown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in host.FollowLogAsync(() => following.TrySetResult(), cts.Token))
                {
                    lock (events)
                    {
                        events.Add(e);
                    }

                    output.WriteLine($"{e.At:HH:mm:ss} {e.Kind} {e.Builds}");
                    if (e.Kind == MasterLogEventKind.WaitingForBuilds)
                    {
                        waiting.TrySetResult();
                    }

                    if (e.Kind == MasterLogEventKind.ShutDown)
                    {
                        shutDown.TrySetResult();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await following.Task.WaitAsync(TimeSpan.FromSeconds(15));

        // Held until the master says it waits for it: the stop must find it running, however slow the machine.
        using var held = await Fleet.HoldBuildAsync(m);
        var sw = Stopwatch.StartNew();
        while ((await api.GetRunningBuildsAsync()).Count == 0)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), "the forced build never started");
            await Task.Delay(100);
        }

        var running = Assert.Single(await api.GetRunningBuildsAsync());
        Assert.Equal("sleep", running.BuilderName);

        try
        {
            sw.Restart();
            var stop = await host.GracefulStopAsync();
            Assert.True(stop.Succeeded, stop.Stderr);
            // "At once" against the build it leaves running (held far longer); load beside the test only adds seconds.
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"graceful stop must return at once, not wait for the build: took {sw.Elapsed}");

            await waiting.Task.WaitAsync(TimeSpan.FromSeconds(40));
            Assert.False(shutDown.Task.IsCompleted, "the master shut down with its build still running");
            held.Release();
            await shutDown.Task.WaitAsync(TimeSpan.FromSeconds(40));
            output.WriteLine($"shut down {sw.Elapsed.TotalSeconds:0.0} s after SIGUSR1");
            List<MasterLogEventKind> kinds;
            lock (events)
            {
                kinds = events.Select(e => e.Kind).ToList();
                Assert.Contains(events, e => e is { Kind: MasterLogEventKind.WaitingForBuilds, Builds: 1 });
            }

            Assert.True(kinds.IndexOf(MasterLogEventKind.CleanShutdownInitiated) < kinds.IndexOf(MasterLogEventKind.WaitingForBuilds));
            Assert.True(kinds.IndexOf(MasterLogEventKind.WaitingForBuilds) < kinds.IndexOf(MasterLogEventKind.ShutDown));
            Assert.False((await host.GetFactsAsync()).ProcessAlive);
        }
        finally
        {
            var start = await host.StartAsync();
            output.WriteLine($"start: rc {start.ExitCode} in {start.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(start.Succeeded, start.Stdout + start.Stderr);
        }

        await WaitForAsync(async () => (await host.GetFactsAsync()).ProcessAlive, TimeSpan.FromSeconds(10));
        lock (events)
        {
            // Following survived the stop and saw the master come back.
            Assert.Equal(MasterLogEventKind.Started, events.Last().Kind);
        }

        Assert.Equal(0, await Fleet.WaitForBuildAsync(m, held.Request, TimeSpan.FromSeconds(20)));
        await WaitForAsync(async () => (await api.GetWorkersAsync()).All(w => w.IsConnected), TimeSpan.FromSeconds(45));
        await cts.CancelAsync();
        await watcher;
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Hard_stop_cancels_the_running_build_and_start_brings_the_master_back(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var m = Fleet.Masters[2];
        var info = access.Master(m);
        var host = access.Fleet.Host(info);
        var api = access.Fleet.Api(info);
        using var held = await Fleet.HoldBuildAsync(m); // never released: the hard stop cancels it
        await WaitForAsync(async () => (await api.GetRunningBuildsAsync()).Count > 0, TimeSpan.FromSeconds(20));
        try
        {
            var stop = await host.HardStopAsync();
            output.WriteLine($"hard stop: rc {stop.ExitCode} in {stop.Elapsed.TotalMilliseconds:0} ms: {stop.Stdout.Trim()}");
            Assert.True(stop.Succeeded, stop.Stdout + stop.Stderr);
            Assert.False((await host.GetFactsAsync()).ProcessAlive);
        }
        finally
        {
            var start = await host.StartAsync();
            Assert.True(start.Succeeded, start.Stdout + start.Stderr);
        }

        // SIGTERM cancels (6), it does not wait: the opposite of the graceful stop.
        Assert.Equal(6, await Fleet.WaitForBuildAsync(m, held.Request, TimeSpan.FromSeconds(20)));
        await WaitForAsync(async () => (await api.GetWorkersAsync()).All(w => w.IsConnected), TimeSpan.FromSeconds(45));
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Reboot_runs_the_inventory_command(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var marker = Path.Combine(Fleet.Root, "rebooted-" + Guid.NewGuid().ToString("N")[..6]);
        var info = access.Master(Fleet.Masters[0]) with { RebootCommand = ["touch", marker] };

        var result = await access.Fleet.Host(info).RebootAsync();

        Assert.True(result.Succeeded, result.Stderr);
        Assert.True(File.Exists(marker));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (BuildbotApiException)
            {
                // Not answering yet.
            }

            Assert.True(sw.Elapsed < timeout, $"not within {timeout}");
            await Task.Delay(200);
        }
    }
}
