using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Tests.Remote;

public sealed class SshMasterHostTests
{
    private sealed class FakeRunner(Func<IReadOnlyList<string>, RemoteResult> answer) : ISshRunner
    {
        public List<(SshTarget Target, IReadOnlyList<string> Argv, TimeSpan Timeout)> Calls { get; } = [];

        public Task<RemoteResult> RunAsync(SshTarget target, IReadOnlyList<string> argv, TimeSpan timeout, Action<OutputLine>? onLine = null, CancellationToken ct = default)
        {
            Calls.Add((target, argv, timeout));
            return Task.FromResult(answer(argv));
        }
    }

    private static readonly MasterInfo Master = new()
    {
        Name = "bm01-build1",
        Hostname = "bm01.example",
        Role = MasterRole.Build,
        Basedir = "/builds/b1",
        MasterDir = "/builds/b1/master",
        HttpPort = 8001,
        BuildbotBin = "/builds/b1/bin/buildbot",
        ApiUrl = new Uri("http://bm01.example:8001/api/v2"),
        SshUser = "cltbld",
        SshLoginPort = 2222,
        Repos = [new RepoCheckout("buildbot-configs", "/builds/b1/buildbot-configs", "production"), new RepoCheckout("tools", "/builds/b1/tools", "default")],
        RebootCommand = ["sudo", "-n", "/sbin/reboot"],
    };

    private static RemoteResult Ok(string stdout, int rc = 0) => new(rc, stdout, "", TimeSpan.FromMilliseconds(5));

    [Fact]
    public async Task Facts_pass_inventory_values_only_as_arguments_and_parse_the_answer()
    {
        var runner = new FakeRunner(_ => Ok(
            "@@now 1000\n@@uptime 3600.50 7000.1\n@@pid 4242\n@@alive      100\n@@lock\n" +
            "@@repo\ttools\t0\tabc123def456+ default\n" +
            "@@repo\tbuildbot-configs\t255\tabort: repository /builds/b1/buildbot-configs not found \n" +
            "@@log\nline 1\n@@pid 1\nline 3\n"));
        var host = new SshMasterHost(runner, Master, TimeProvider.System);

        var facts = await host.GetFactsAsync(3);

        var call = Assert.Single(runner.Calls);
        Assert.Equal(new SshTarget("bm01.example", 2222, "cltbld"), call.Target);
        Assert.Equal(["sh", "-c"], call.Argv.Take(2));
        Assert.Equal(["sh", "/builds/b1/master", "3", "buildbot-configs", "/builds/b1/buildbot-configs", "production", "tools", "/builds/b1/tools", "default"], call.Argv.Skip(3));
        Assert.DoesNotContain("/builds/b1", call.Argv[2], StringComparison.Ordinal);

        Assert.Equal(4242, facts.Pid);
        Assert.True(facts.ProcessAlive);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(900), facts.ProcessStartedAt);
        Assert.True(facts.LockPresent);
        Assert.Equal(TimeSpan.FromSeconds(3600.5), facts.HostUptime);
        Assert.Equal(["line 1", "@@pid 1", "line 3"], facts.LogTail);
        Assert.Equal(["buildbot-configs", "tools"], facts.Repos.Select(r => r.Name));
        var tools = facts.Repos[1];
        Assert.Equal(("abc123def456+", "default", true, true), (tools.Revision, tools.Branch, tools.IsDirty, tools.OnExpectedBranch));
        Assert.Null(facts.Repos[0].Revision);
        Assert.Contains(facts.Errors, e => e.StartsWith("buildbot-configs: abort", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_stale_pid_file_is_reported()
    {
        var host = new SshMasterHost(new FakeRunner(_ => Ok("@@now 1\n@@pid 4242\n@@log\n")), Master, TimeProvider.System);

        var facts = await host.GetFactsAsync();

        Assert.False(facts.ProcessAlive);
        Assert.Contains(facts.Errors, e => e.Contains("stale", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Operations_are_fixed_commands_built_from_the_inventory()
    {
        var runner = new FakeRunner(_ => Ok(""));
        var host = new SshMasterHost(runner, Master, TimeProvider.System);

        await host.GracefulStopAsync();
        await host.StartAsync();
        await host.CreateLockAsync();
        await host.RemoveLockAsync();
        await host.RebootAsync();

        Assert.Equal(["/builds/b1/master", "USR1"], runner.Calls[0].Argv.Skip(4));
        Assert.Equal(["/builds/b1/bin/buildbot", "start", "--start_timeout=165", "/builds/b1/master"], runner.Calls[1].Argv);
        Assert.Equal(["touch", "/builds/b1/master/reconfig.lock"], runner.Calls[2].Argv);
        Assert.Equal(["rm", "-f", "/builds/b1/master/reconfig.lock"], runner.Calls[3].Argv);
        Assert.Equal(["sudo", "-n", "/sbin/reboot"], runner.Calls[4].Argv);
        Assert.All(runner.Calls, c => Assert.True(c.Timeout > TimeSpan.Zero && c.Timeout != Timeout.InfiniteTimeSpan));
    }

    [Theory]
    [InlineData("2026-11-22 03:52:16+0000 [-] configuration update complete (took 0.02 seconds)", 0, ReconfigOutcome.Complete)]
    [InlineData("2026-11-22 03:52:16+0000 [-] configuration update aborted without making any changes (took 0.001 seconds)", 1, ReconfigOutcome.Aborted)]
    [InlineData("2026-11-22 03:52:16+0000 [-] WARNING: configuration update partially applied; master may malfunction (took 0.029 seconds)", 2, ReconfigOutcome.PartiallyApplied)]
    [InlineData("@@notrunning no twistd.pid in /builds/b1/master", 3, ReconfigOutcome.NotRunning)]
    [InlineData("", 4, ReconfigOutcome.TimedOut)]
    public async Task Reconfig_outcome_comes_from_the_log(string lastLine, int rc, ReconfigOutcome expected)
    {
        var stdout = "2026-11-22 03:52:16+0000 [-] beginning configuration update\n" + lastLine + "\n";
        if (rc == 3)
        {
            stdout = lastLine + "\n";
        }

        var host = new SshMasterHost(new FakeRunner(_ => Ok(stdout, rc)), Master, TimeProvider.System);

        var result = await host.ReconfigAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(expected, result.Outcome);
        if (rc != 3)
        {
            Assert.Equal(MasterLogEventKind.ReconfigBegun, result.Events[0].Kind);
        }
    }

    [Fact]
    public async Task An_aborted_reconfig_says_what_to_fix()
    {
        const string log = """
            2026-11-22 03:52:16+0000 [-] beginning configuration update
            2026-11-22 03:52:16+0000 [-] Loading configuration from '/builds/b1/master/master.cfg'
            2026-11-22 03:52:16+0000 [-] error while parsing config file:
            	Traceback (most recent call last):
            	  File "/builds/b1/master/master.cfg", line 80, in <module>
            	builtins.NameError: name 'oops' is not defined
            2026-11-22 03:52:16+0000 [-] configuration update aborted without making any changes (took 0.001 seconds)
            """;
        var host = new SshMasterHost(new FakeRunner(_ => Ok(log + "\n", 1)), Master, TimeProvider.System);

        var result = await host.ReconfigAsync();

        Assert.Equal(ReconfigOutcome.Aborted, result.Outcome);
        Assert.EndsWith("builtins.NameError: name 'oops' is not defined", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_repos_reports_before_and_after_per_repo()
    {
        var runner = new FakeRunner(_ => Ok(
            "@@repo\tbuildbot-configs\t0\taaa\tbbb\n  \n@@repo\ttools\t1\tccc\tccc\n  abort: uncommitted changes\n  (commit or update --clean to discard changes)\n"));
        var host = new SshMasterHost(runner, Master, TimeProvider.System);

        var results = await host.UpdateReposAsync();

        Assert.Equal(["sh", "update", "buildbot-configs", "/builds/b1/buildbot-configs", "production", "tools", "/builds/b1/tools", "default"], runner.Calls[0].Argv.Skip(3));
        Assert.Equal(new RepoUpdateResult("buildbot-configs", "/builds/b1/buildbot-configs", "aaa", "bbb", true, ""), results[0]);
        Assert.True(results[0].Changed);
        Assert.False(results[1].Succeeded);
        Assert.Equal("abort: uncommitted changes\n(commit or update --clean to discard changes)", results[1].Output);
    }
}
