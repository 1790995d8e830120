using System.Diagnostics;

namespace Wrangler.Runner.Tests;

public sealed class RunnerConfigTests : IDisposable
{
    private readonly TestDir dir = new();

    [Fact]
    public void A_full_file_loads_with_its_values()
    {
        File.WriteAllText(dir.File("runner.json"), """
            {
              // comments are allowed
              "workerName": "tst-linux64-001",
              "workerBasedir": "/builds/worker",
              "workerCommand": ["/usr/bin/buildbot-worker"],
              "taskDir": "/etc/wrangler-runner/tasks",
              "taskTimeout": "00:10:00",
              "taskTimeouts": { "10-puppet": "00:30:00" },
              "retryLaterExitCode": 75,
              "maxUptime": "06:00:00", "maxBuilds": 3, "idleTimeout": "01:00:00",
              "connectTimeout": "00:05:00", "hardStopAfter": "12:00:00",
              "backoff": { "initial": "00:00:30", "max": "00:30:00" },
              "wranglerUrl": "https://wrangler.example.org/",
              "wranglerToken": "t0ken",
              "reportQueueDir": "/var/lib/wrangler-runner/queue"
            }
            """);
        var c = RunnerConfig.Load(dir.File("runner.json"));
        Assert.Equal(3, c.MaxBuilds);
        Assert.Equal(TimeSpan.FromMinutes(30), c.TimeoutOf("10-puppet"));
        Assert.Equal(TimeSpan.FromMinutes(10), c.TimeoutOf("20-clean"));
        Assert.Equal("/etc/wrangler-runner/tasks/preflight", c.PreflightDir);
        Assert.Equal(["/usr/bin/buildbot-worker"], c.WorkerCommand);
    }

    [Fact]
    public void Every_problem_is_named_at_once_and_unknown_keys_are_refused()
    {
        File.WriteAllText(dir.File("bad.json"), """
            { "workerName": "w", "workerBasedir": "relative", "taskDir": "/t", "wranglerUrl": "ftp://x/", "wranglerToken": "",
              "reportQueueDir": "/q", "maxBuilds": 0, "idleTimeout": "-00:00:01" }
            """);
        var ex = Assert.Throws<ConfigException>(() => RunnerConfig.Load(dir.File("bad.json")));
        foreach (var key in new[] { "workerBasedir", "wranglerUrl", "wranglerToken", "maxBuilds", "idleTimeout" })
        {
            Assert.Contains(key, ex.Message);
        }

        File.WriteAllText(dir.File("typo.json"), """{ "workerName": "w", "maxBuild": 1 }""");
        Assert.Contains("maxBuild", Assert.Throws<ConfigException>(() => RunnerConfig.Load(dir.File("typo.json"))).Message);
    }

    public void Dispose() => dir.Dispose();
}

public sealed class BuildbotTacTests : IDisposable
{
    private readonly TestDir dir = new();

    [Theory]
    [InlineData("allow_shutdown = 'file'\n", null)]
    [InlineData("allow_shutdown = \"file\"  # watched\n", null)]
    [InlineData("allow_shutdown = 'signal'\n", "'signal'")]
    [InlineData("s = Worker('h', 9989, 'w', 'pw', basedir, 600, allow_shutdown='file', maxRetries=None)\n", null)]
    [InlineData("s = Worker('h', 9989, 'w', 'pw', basedir, 600, allow_shutdown=None, maxRetries=None)\n", "None (not set)")]
    [InlineData("allow_shutdown = None\n", "None (not set)")]
    [InlineData("umask = None\n", "None (not set)")]
    public void Only_allow_shutdown_file_passes(string line, string? complaint)
    {
        File.WriteAllText(dir.File("buildbot.tac"), "import os\nbasedir = '/w'\n" + line + "maxretries = None\n");
        var problem = BuildbotTac.Problem(dir.Path);
        if (complaint is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains(complaint, problem);
            Assert.Contains("--allow-shutdown=file", problem);
        }
    }

    [Fact]
    public void A_missing_tac_says_how_to_create_the_worker() =>
        Assert.Contains("create-worker --allow-shutdown=file", BuildbotTac.Problem(dir.File("nowhere")));

    public void Dispose() => dir.Dispose();
}

public sealed class LogFollowerTests : IDisposable
{
    private readonly TestDir dir = new();

    [Fact]
    public void Follows_from_the_end_through_partial_lines_rotation_and_truncation()
    {
        var log = dir.File("twistd.log");
        File.WriteAllText(log, "old run line\n");
        using var f = new LogFollower(log, TimeProvider.System, TimeSpan.FromMilliseconds(10));
        f.SeekToEnd();
        Assert.Empty(f.ReadLines());

        File.AppendAllText(log, "one\ntw");
        Assert.Equal(["one"], f.ReadLines());
        File.AppendAllText(log, "o\n");
        Assert.Equal(["two"], f.ReadLines());

        // twistd's rotation: the file is renamed and a new one started; the old file's last lines come first.
        File.AppendAllText(log, "last before rotation\n");
        File.Move(log, log + ".1");
        File.WriteAllText(log, "first after rotation\n");
        Assert.Equal(["last before rotation", "first after rotation"], f.ReadLines());

        File.AppendAllText(log, "more\n");
        Assert.Equal(["more"], f.ReadLines());

        File.WriteAllText(log, "after truncation\n");
        Assert.Equal(["after truncation"], f.ReadLines());
    }

    [Fact]
    public void A_log_that_does_not_exist_yet_is_read_from_its_start_once_it_does()
    {
        var log = dir.File("later.log");
        using var f = new LogFollower(log, TimeProvider.System, TimeSpan.FromMilliseconds(10));
        f.SeekToEnd();
        Assert.Empty(f.ReadLines());
        File.WriteAllText(log, "2026-12-02 10:00:00+0000 [Broker,client] Connected to buildmaster; worker is ready\n");
        Assert.Equal(WorkerLogEvent.Connected, WorkerLog.Classify(Assert.Single(f.ReadLines())));
    }

    [Theory]
    [InlineData("2026-12-02 10:00:00+0000 [Broker,client] Connected to buildmaster; worker is ready", WorkerLogEvent.Connected)]
    [InlineData("2026-12-02 10:00:01+0000 [Broker,client] message from master: ping", WorkerLogEvent.BuildStarted)]
    [InlineData("2026-12-02 10:00:01+0000 [Broker,client] WorkerForBuilder.remote_print(sleep): message from master: ping", WorkerLogEvent.BuildStarted)]
    [InlineData("2026-12-02 10:00:02+0000 [-] Initiating shutdown because /w/shutdown.stamp was touched", WorkerLogEvent.ShutdownInitiated)]
    [InlineData("2026-12-02 10:00:03+0000 [Broker,client] message from master: attached", WorkerLogEvent.None)]
    [InlineData("2026-12-02 10:00:03+0000 [-] sending app-level keepalive", WorkerLogEvent.None)]
    public void Worker_log_lines_mean_what_the_runner_needs(string line, WorkerLogEvent expected) =>
        Assert.Equal(expected, WorkerLog.Classify(line));

    public void Dispose() => dir.Dispose();
}

public sealed class TaskRunnerTests : IDisposable
{
    private readonly TestDir dir = new();

    [Fact]
    public async Task Tasks_run_in_name_order_until_one_is_not_ok()
    {
        var config = dir.Config();
        var trace = dir.File("trace");
        dir.Script("tasks/preflight/20-second", $"echo second >> {trace}; exit 0");
        dir.Script("tasks/preflight/10-first", $"echo first >> {trace}; echo to stderr >&2");
        dir.Script("tasks/preflight/30-halts", $"echo third >> {trace}; echo disk is full; exit 3");
        dir.Script("tasks/preflight/40-never", $"echo fourth >> {trace}");
        File.WriteAllText(dir.File("tasks/preflight/35-not-executable"), "#!/bin/sh\nexit 1\n");

        var r = await new TaskRunner(config, TimeProvider.System).RunAsync("preflight", CancellationToken.None);

        Assert.Equal(["first", "second", "third"], File.ReadAllLines(trace));
        Assert.Equal(["10-first", "20-second", "30-halts"], r.Tasks.Select(t => t.Name));
        Assert.Equal(TaskVerdict.Halt, r.Verdict);
        Assert.Equal(3, r.Stopper!.ExitCode);
        Assert.Contains("disk is full", r.Stopper.Output);
        Assert.Contains("to stderr", r.Tasks[0].Output);
        Assert.Equal("task 30-halts exited 3 (halt)", r.Stopper.Describe());
    }

    [Fact]
    public async Task The_retry_later_code_is_its_own_verdict_and_an_empty_stage_is_ok()
    {
        var config = dir.Config(b => b.Value = b.Value with { RetryLaterExitCode = 75 });
        dir.Script("tasks/postflight/10-busy", "exit 75");
        var runner = new TaskRunner(config, TimeProvider.System);
        Assert.Equal(TaskVerdict.RetryLater, (await runner.RunAsync("postflight", CancellationToken.None)).Verdict);
        Assert.Equal(TaskVerdict.Ok, (await runner.RunAsync("preflight", CancellationToken.None)).Verdict);
    }

    [Fact]
    public async Task A_task_that_hangs_is_killed_at_its_timeout_with_its_children()
    {
        var pids = dir.File("pids");
        var config = dir.Config(b => b.Value = b.Value with { TaskTimeouts = new Dictionary<string, TimeSpan> { ["10-hangs"] = TimeSpan.FromSeconds(1) } });
        // A child and a grandchild that would outlive the task if only the task's own pid were killed.
        dir.Script("tasks/preflight/10-hangs", $"sleep 300 & echo $! >> {pids}; sh -c 'sleep 301 & echo $! >> {pids}; wait' & echo started; wait");
        var sw = Stopwatch.StartNew();

        var r = await new TaskRunner(config, TimeProvider.System).RunAsync("preflight", CancellationToken.None);

        Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
        var t = Assert.Single(r.Tasks);
        Assert.True(t.TimedOut);
        Assert.Null(t.ExitCode);
        Assert.Equal(TaskVerdict.Halt, t.Verdict);
        Assert.Contains("killed at its timeout", t.Describe());
        Assert.Contains("started", t.Output);
        var children = File.ReadAllLines(pids).Select(int.Parse).ToList();
        Assert.Equal(2, children.Count);
        await Eventually.Async(() => children.All(Gone), "the task's children are gone");
    }

    [Fact]
    public async Task What_a_task_leaves_running_is_killed_when_it_exits()
    {
        var pids = dir.File("pids");
        dir.Script("tasks/preflight/10-leaves-a-daemon", $"sleep 300 > /dev/null 2>&1 & echo $! > {pids}; exit 0");
        var r = await new TaskRunner(dir.Config(), TimeProvider.System).RunAsync("preflight", CancellationToken.None);
        Assert.Equal(TaskVerdict.Ok, r.Verdict);
        var pid = int.Parse(File.ReadAllText(pids).Trim());
        await Eventually.Async(() => Gone(pid), "the leftover sleep is gone");
    }

    // A zombie waiting for its parent to reap it counts as gone: it runs nothing.
    internal static bool Gone(int pid) =>
        !File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z');

    public void Dispose() => dir.Dispose();
}

public static class Eventually
{
    public static async Task Async(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < (within ?? TimeSpan.FromSeconds(15)), $"not within {within ?? TimeSpan.FromSeconds(15)}: {what}");
            await Task.Delay(20);
        }
    }
}
