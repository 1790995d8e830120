using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Wrangler.Runner.Tests;

/// <summary>The cycle against a fake worker and fake tasks on a fake clock: every path, no real time waited.</summary>
public sealed class CycleTests : IDisposable
{
    private readonly TestDir dir = new();
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-12-02T10:00:00Z"));
    private readonly FakeReports reports;
    private readonly FakeTasks tasks = new();
    private readonly FakeHost host = new();
    private readonly StopRequests stop = new();

    public CycleTests() => reports = new FakeReports(time);

    private Cycle NewCycle(Func<RunnerConfig, RunnerConfig>? change = null)
    {
        var config = dir.Config();
        return new Cycle(change?.Invoke(config) ?? config, tasks, host, reports, stop, time);
    }

    [Fact]
    public async Task Three_cycles_of_one_build_each_shut_down_gracefully_and_run_post_flight()
    {
        var run = NewCycle().RunAsync(CancellationToken.None);
        for (var i = 1; i <= 3; i++)
        {
            var w = await host.NextAsync(i);
            w.Log(WorkerLogEvent.Connected);
            await reports.WaitForAsync("connected", i);
            w.Log(WorkerLogEvent.BuildStarted);
            await reports.WaitForAsync("shutdownRequested", i);
            Assert.Equal(1, w.ShutdownRequests);
            Assert.False(w.StoppedNow);
            w.Exit(0);
            await reports.WaitForAsync("postflight", i);
        }

        await host.NextAsync(4);
        stop.Signal();
        await reports.WaitForAsync("shutdownRequested", 4);
        host.Workers[3].Exit(0);
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(
            string.Join(' ', Enumerable.Repeat("preflight started connected shutdownRequested stopped postflight", 3))
            + " preflight started shutdownRequested stopped postflight",
            string.Join(' ', reports.Phases));
        Assert.Contains("maxBuilds 1", reports.All.First(r => r.Phase == "shutdownRequested").Detail);
        Assert.Equal(["preflight", "postflight", "preflight", "postflight", "preflight", "postflight", "preflight", "postflight"], tasks.Runs);
    }

    [Fact]
    public async Task No_connection_within_the_connect_timeout_stops_the_worker_runs_post_flight_and_backs_off_doubling()
    {
        var run = NewCycle(c => c with { ConnectTimeout = TimeSpan.FromMinutes(5), Backoff = new Backoff(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(45)) })
            .RunAsync(CancellationToken.None);
        var w1 = await host.NextAsync(1);
        await AdvanceUntilAsync(() => reports.Count("failed") == 1, TimeSpan.FromSeconds(10));
        Assert.True(w1.StoppedNow);
        Assert.InRange(time.GetUtcNow() - reports.All.First(r => r.Phase == "started").At, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5.2));
        await reports.WaitForAsync("postflight", 1);

        // Back-off 30 s before the second start, then 45 s (doubled, capped) before the third.
        await AdvanceUntilAsync(() => host.Workers.Count == 2, TimeSpan.FromSeconds(1));
        await AdvanceUntilAsync(() => reports.Count("postflight") == 2, TimeSpan.FromSeconds(10));
        await AdvanceUntilAsync(() => host.Workers.Count == 3, TimeSpan.FromSeconds(1));
        var postflights = reports.All.Where(r => r.Phase == "postflight").ToList();
        var starts = reports.All.Where(r => r.Phase == "started").ToList();
        Assert.InRange(starts[1].At - postflights[0].At, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(31));
        Assert.InRange(starts[2].At - postflights[1].At, TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(46));
        Assert.Contains("no connection to a master within 5m", reports.All.First(r => r.Phase == "failed").Detail);

        stop.Signal();
        host.Workers[2].Exit(0);
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_halting_pre_flight_task_leaves_the_worker_stopped_and_says_why()
    {
        tasks.Next["preflight"] = new TaskResult("20-puppet", 3, false, TimeSpan.FromSeconds(2), "puppet: catalog failed\n", TaskVerdict.Halt);
        var run = NewCycle().RunAsync(CancellationToken.None);
        await reports.WaitForAsync("halted", 1);
        var halted = reports.All.Single(r => r.Phase == "halted");
        Assert.Contains("preflight task 20-puppet exited 3 (halt)", halted.Detail);
        Assert.Contains("puppet: catalog failed", halted.Detail);
        time.Advance(TimeSpan.FromDays(1));
        Assert.Empty(host.Workers);
        Assert.False(run.IsCompleted);
        stop.Signal();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["preflight", "halted"], reports.Phases);
    }

    [Fact]
    public async Task A_retry_later_task_backs_off_and_the_worker_starts_once_it_passes()
    {
        tasks.Next["preflight"] = new TaskResult("10-puppet-lock", 75, false, TimeSpan.Zero, "", TaskVerdict.RetryLater);
        var run = NewCycle().RunAsync(CancellationToken.None);
        await reports.WaitForAsync("failed", 1);
        Assert.Empty(host.Workers);
        await AdvanceUntilAsync(() => host.Workers.Count == 1, TimeSpan.FromSeconds(1));
        Assert.Contains("retry later", reports.All.Single(r => r.Phase == "failed").Detail);
        stop.Signal();
        host.Workers[0].Exit(0);
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task One_sigterm_is_graceful_with_post_flight_a_second_stops_the_worker_now_without_it()
    {
        var run = NewCycle().RunAsync(CancellationToken.None);
        var w = await host.NextAsync(1);
        w.Log(WorkerLogEvent.Connected);
        w.Log(WorkerLogEvent.BuildStarted);
        await reports.WaitForAsync("shutdownRequested", 1);
        stop.Signal();
        w.Exit(0);
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["preflight", "started", "connected", "shutdownRequested", "stopped", "postflight"], reports.Phases);

        // A fresh runner, this time signalled twice while its worker runs a long build.
        var stop2 = new StopRequests();
        var reports2 = new FakeReports(time);
        var host2 = new FakeHost();
        var run2 = new Cycle(dir.Config(c => c.Value = c.Value with { MaxBuilds = 5 }), tasks, host2, reports2, stop2, time).RunAsync(CancellationToken.None);
        var w2 = await host2.NextAsync(1);
        w2.Log(WorkerLogEvent.Connected);
        w2.Log(WorkerLogEvent.BuildStarted);
        await reports2.WaitForAsync("connected", 1);
        stop2.Signal();
        await reports2.WaitForAsync("shutdownRequested", 1);
        Assert.Contains("SIGTERM", reports2.All.Single(r => r.Phase == "shutdownRequested").Detail);
        Assert.False(w2.StoppedNow);
        stop2.Signal();
        Assert.Equal(0, await run2.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(w2.StoppedNow);
        Assert.Equal(["preflight", "started", "connected", "shutdownRequested", "stopped"], reports2.Phases);
        Assert.Contains("second SIGTERM", reports2.All[^1].Detail);
    }

    [Fact]
    public async Task A_build_that_outlasts_hard_stop_after_is_stopped_and_uptime_and_idle_limits_ask_for_a_shutdown()
    {
        var run = NewCycle(c => c with { MaxBuilds = 10, MaxUptime = TimeSpan.FromHours(2), IdleTimeout = TimeSpan.FromMinutes(30), HardStopAfter = TimeSpan.FromHours(1) })
            .RunAsync(CancellationToken.None);
        var w = await host.NextAsync(1);
        w.Log(WorkerLogEvent.Connected);
        await reports.WaitForAsync("connected", 1);
        // Builds keep it from going idle; two hours of uptime end it.
        for (var i = 0; i < 5; i++)
        {
            await AdvanceUntilAsync(() => false, TimeSpan.FromMinutes(1), limit: TimeSpan.FromMinutes(20));
            w.Log(WorkerLogEvent.BuildStarted);
        }

        await AdvanceUntilAsync(() => reports.Count("shutdownRequested") == 1, TimeSpan.FromMinutes(1));
        Assert.Contains("maxUptime", reports.All.Single(r => r.Phase == "shutdownRequested").Detail);
        Assert.False(w.StoppedNow);
        await AdvanceUntilAsync(() => w.StoppedNow, TimeSpan.FromMinutes(1));
        await reports.WaitForAsync("postflight", 1);
        Assert.Contains("hardStopAfter", reports.All.Single(r => r.Phase == "stopped").Detail);

        var w2 = await host.NextAsync(2);
        w2.Log(WorkerLogEvent.Connected);
        await reports.WaitForAsync("connected", 2);
        await AdvanceUntilAsync(() => reports.Count("shutdownRequested") == 2, TimeSpan.FromMinutes(1));
        Assert.Contains("idleTimeout", reports.All.Where(r => r.Phase == "shutdownRequested").Last().Detail);
        stop.Signal();
        w2.Exit(0);
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>Moves the fake clock a step at a time (letting the cycle react in between) until the condition holds.</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition, TimeSpan step, TimeSpan? limit = null)
    {
        var start = time.GetUtcNow();
        while (!condition())
        {
            if (limit is { } l && time.GetUtcNow() - start >= l)
            {
                return;
            }

            Assert.True(time.GetUtcNow() - start < TimeSpan.FromDays(2), "the condition never held");
            await Task.Delay(5);
            time.Advance(step);
        }
    }

    public void Dispose() => dir.Dispose();

    private sealed class FakeReports(TimeProvider clock) : IReports
    {
        private readonly List<CycleReport> all = [];

        public IReadOnlyList<CycleReport> All
        {
            get
            {
                lock (all)
                {
                    return [.. all];
                }
            }
        }

        public IReadOnlyList<string> Phases => [.. All.Select(r => r.Phase)];

        public void Enqueue(string phase, string? detail)
        {
            lock (all)
            {
                all.Add(new CycleReport(phase, detail, clock.GetUtcNow()));
            }
        }

        public int Count(string phase) => All.Count(r => r.Phase == phase);

        public Task WaitForAsync(string phase, int count) => Eventually.Async(() => Count(phase) >= count, $"{count} × {phase}; saw {string.Join(' ', Phases)}");
    }

    private sealed class FakeTasks : ITaskStages
    {
        public Dictionary<string, TaskResult> Next { get; } = [];
        public List<string> Runs { get; } = [];

        public Task<StageResult> RunAsync(string stage, CancellationToken ct)
        {
            Runs.Add(stage);
            // A canned result is used once; the next run of that stage passes.
            return Task.FromResult(Next.Remove(stage, out var r) ? new StageResult(stage, [r]) : new StageResult(stage, []));
        }
    }

    private sealed class FakeHost : IWorkerHost
    {
        private readonly List<FakeWorker> workers = [];

        public IReadOnlyList<FakeWorker> Workers
        {
            get
            {
                lock (workers)
                {
                    return [.. workers];
                }
            }
        }

        public IRunningWorker Start()
        {
            var w = new FakeWorker();
            lock (workers)
            {
                workers.Add(w);
            }

            return w;
        }

        public async Task<FakeWorker> NextAsync(int n)
        {
            await Eventually.Async(() => Workers.Count >= n, $"worker start {n}");
            return Workers[n - 1];
        }
    }

    private sealed class FakeWorker : IRunningWorker
    {
        private readonly Channel<WorkerLogEvent> events = Channel.CreateUnbounded<WorkerLogEvent>();
        private readonly TaskCompletionSource<int> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ChannelReader<WorkerLogEvent> Events => events.Reader;
        public Task<int> Exited => exited.Task;
        public int ShutdownRequests { get; private set; }
        public bool StoppedNow { get; private set; }

        public void Log(WorkerLogEvent e) => events.Writer.TryWrite(e);

        public void Exit(int code) => exited.TrySetResult(code);

        public void RequestShutdown() => ShutdownRequests++;

        public Task StopNowAsync()
        {
            StoppedNow = true;
            exited.TrySetResult(-15);
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
