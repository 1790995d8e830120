using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Persistence;

namespace Wrangler.Dashboard.Tests.Runner;

/// <summary>wrangler-runner with a real buildbot-worker and a real master, reporting to the real app (docs/runner.md).</summary>
[Collection("runner-lab")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RunnerLabTests(RunnerLabFixture fx)
{
    private static readonly string[] FullCycle = ["preflight", "started", "connected", "shutdownRequested", "stopped", "postflight"];
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(90);

    private static readonly Dictionary<string, string> RecordingTasks = new()
    {
        ["preflight/10-record"] = "echo pre >> $TRACE",
        ["postflight/10-record"] = "echo post >> $TRACE",
    };

    [Fact]
    public async Task Three_cycles_of_one_build_each_finish_their_build_shut_down_gracefully_run_post_flight_and_reconnect()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var twistd = Path.Combine(fx.Worker.Dir, "twistd.log");
        await using var runner = RunnerProcess.Start(fx, RecordingTasks, new() { ["maxBuilds"] = 1 });
        for (var i = 1; i <= 3; i++)
        {
            await fx.EventuallyAsync(since, c => c.Count == i && RunnerLabFixture.Phases(c[0]).Contains("connected"), $"cycle {i} connected", Within);
            var shutdownsBefore = Count(twistd, "Initiating shutdown because");
            using var held = await fx.Lab.HoldBuildAsync(fx.Master);
            await fx.EventuallyAsync(since, c => RunnerLabFixture.Phases(c[0]).Contains("shutdownRequested"), $"cycle {i}: the build start asks for a shutdown", Within);

            // The worker has begun its graceful shutdown while the build is still held running.
            await EventuallyAsync(() => Count(twistd, "Initiating shutdown because") > shutdownsBefore, "the worker saw shutdown.stamp", Within);
            using (var doc = await fx.Lab.GetJsonAsync(fx.Master, $"builds?buildrequestid={held.Request}"))
            {
                var build = doc.RootElement.GetProperty("builds").EnumerateArray().Single();
                Assert.False(build.GetProperty("complete").GetBoolean(), "the build ended before it was released");
            }

            held.Release();
            Assert.Equal(0, await fx.Lab.WaitForBuildAsync(fx.Master, held.Request, Within));
        }

        // The third shutdown is followed by post-flight and a fourth connection.
        var cycles = await fx.EventuallyAsync(since, c => c.Count == 4 && RunnerLabFixture.Phases(c[0]).Contains("connected"), "the worker reconnects after the third cycle", Within);
        foreach (var c in cycles.Skip(1))
        {
            Assert.Equal(FullCycle, RunnerLabFixture.Phases(c));
            Assert.All(c.GetProperty("phases").EnumerateArray(), p => Assert.True(p.GetProperty("took").GetString() is not null));
        }

        Assert.Contains("maxBuilds 1", cycles[1].GetProperty("phases")[3].GetProperty("detail").GetString());

        // One SIGTERM: the idle worker shuts down gracefully, post-flight runs, the runner exits 0.
        runner.Terminate();
        Assert.Equal(0, await runner.WaitForExitAsync(Within));
        Assert.Equal(["pre", "post", "pre", "post", "pre", "post", "pre", "post"], File.ReadAllLines(runner.Trace));
        var last = await fx.EventuallyAsync(since, c => c.Count == 4 && RunnerLabFixture.Phases(c[0]).Contains("postflight"), "the last cycle's post-flight is reported", TimeSpan.FromSeconds(20));
        Assert.True(FullCycle.SequenceEqual(RunnerLabFixture.Phases(last[0])), $"{string.Join(' ', RunnerLabFixture.Phases(last[0]))}; runner output:\n{runner.Output}");
        Assert.Contains("SIGTERM", last[0].GetProperty("phases")[3].GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_hanging_task_is_killed_at_its_timeout_and_a_halting_task_leaves_the_worker_stopped_with_the_check_critical()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var pids = Path.Combine(Path.GetTempPath(), $"runner-hang-{Guid.NewGuid():N}");
        try
        {
            await using (var runner = RunnerProcess.Start(fx,
                             new Dictionary<string, string> { ["preflight/10-hangs"] = $"sleep 300 & echo $! >> {pids}; sh -c 'sleep 301 & echo $! >> {pids}; wait' & echo hanging; wait" },
                             new() { ["taskTimeouts"] = new Dictionary<string, string> { ["10-hangs"] = "00:00:02" } }))
            {
                var cycles = await fx.EventuallyAsync(since, c => c.Count > 0 && RunnerLabFixture.Phases(c[0]).Contains("halted"), "the hanging task halts the cycle", Within);
                var detail = cycles[0].GetProperty("phases")[1].GetProperty("detail").GetString()!;
                Assert.Contains("task 10-hangs killed at its timeout", detail);
                Assert.Contains("hanging", detail);
                var children = File.ReadAllLines(pids).Select(int.Parse).ToList();
                Assert.Equal(2, children.Count);
                Assert.All(children, pid => Assert.False(Lab.LabProcess.IsAlive(pid), $"task child {pid} survived the timeout"));
                await CheckCriticalAsync("10-hangs", "killed at its timeout");
                Assert.False(runner.HasExited);
            }

            since = DateTimeOffset.UtcNow;
            await using (var runner = RunnerProcess.Start(fx,
                             new Dictionary<string, string> { ["preflight/10-ok"] = "true", ["preflight/20-halts"] = "echo 'disk /builds is full' >&2; exit 3" },
                             new()))
            {
                await fx.EventuallyAsync(since, c => c.Count > 0 && RunnerLabFixture.Phases(c[0]).Contains("halted"), "the halting task halts the cycle", Within);
                var text = await CheckCriticalAsync("20-halts", "disk /builds is full");
                Assert.Contains("exited 3 (halt)", text);

                // The worker's page shows the phase now and the cycle with the halt's detail.
                using (var browser = new Auth.SignedInClient(fx.App))
                {
                    await browser.SignInAsync(AppHost.OperatorName, fx.App.OperatorPassword);
                    var page = await browser.Client.GetStringAsync($"/workers/{Uri.EscapeDataString(fx.Worker.Name)}");
                    Assert.Contains("data-phase=\"halted\"", page);
                    Assert.Contains("data-phases=\"preflight halted\"", page);
                    Assert.Contains("disk /builds is full", page);
                    var list = await browser.Client.GetStringAsync("/workers");
                    Assert.Contains("wr-worker-cycle\" data-phase=\"halted\"", list);
                }

                // The worker stays stopped: the master does not have it.
                await Task.Delay(TimeSpan.FromSeconds(2));
                Assert.Empty(runner.Leftovers());
                using var doc = await fx.Lab.GetJsonAsync(fx.Master, $"workers?name={Uri.EscapeDataString(fx.Worker.Name)}");
                Assert.Equal(0, doc.RootElement.GetProperty("workers")[0].GetProperty("connected_to").GetArrayLength());
                runner.Terminate();
                Assert.Equal(0, await runner.WaitForExitAsync(Within));
            }
        }
        finally
        {
            File.Delete(pids);
        }
    }

    [Fact]
    public async Task Reports_of_a_whole_cycle_while_Wrangler_is_down_arrive_in_order_when_it_is_back()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        // An idle limit instead of builds: the cycles turn by themselves while nobody watches.
        await using var runner = RunnerProcess.Start(fx, RecordingTasks, new() { ["idleTimeout"] = "00:00:02" });
        await fx.EventuallyAsync(since, c => c.Count >= 1 && RunnerLabFixture.Phases(c[0]).Contains("connected"), "a first cycle while Wrangler is up", Within);
        await fx.StopAppAsync();
        try
        {
            // Wait until the queue holds a whole cycle, pre-flight to post-flight.
            await EventuallyAsync(() => QueuedPhases(runner).SkipWhile(p => p != "preflight").Contains("postflight"), "a whole cycle queued", Within);
        }
        finally
        {
            await fx.StartAppAsync();
        }

        var queued = QueuedPhases(runner);
        await EventuallyAsync(() => !Directory.EnumerateFiles(runner.QueueDir, "*.json").Any(), "the queue drains", Within);
        var dbs = fx.App.Services.GetRequiredService<IDbContextFactory<WranglerDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        var stored = await db.CycleReports.Where(r => r.Worker == fx.Worker.Name && r.At >= since).OrderBy(r => r.Id).ToListAsync();
        Assert.Equal(stored.OrderBy(r => r.At).Select(r => r.Id), stored.Select(r => r.Id));
        var phases = stored.Select(r => r.Phase).ToList();
        var sequence = string.Join(' ', phases);
        Assert.Contains(string.Join(' ', queued.SkipWhile(p => p != "preflight").TakeWhile(p => p != "postflight").Append("postflight")), sequence);
        Assert.Contains(string.Join(' ', FullCycle), sequence);
        var cycles = await fx.CyclesAsync(since);
        Assert.Contains(cycles, c => RunnerLabFixture.Phases(c).SequenceEqual(FullCycle));
    }

    private async Task<string> CheckCriticalAsync(string task, string output)
    {
        using var resp = await fx.App.Client.GetAsync($"/api/v1/checks/nagios/workers?worker={Uri.EscapeDataString(fx.Worker.Name)}");
        var text = await resp.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, resp.StatusCode);
        Assert.StartsWith("CRITICAL", text);
        Assert.Contains($"{fx.Worker.Name} (runner halted", text);
        Assert.Contains(task, text);
        Assert.Contains(output, text);
        return text;
    }

    private static List<string> QueuedPhases(RunnerProcess runner) =>
        [.. Directory.EnumerateFiles(runner.QueueDir, "*.json").Order(StringComparer.Ordinal)
            .Select(f => { try { return JsonDocument.Parse(File.ReadAllText(f)).RootElement.GetProperty("phase").GetString()!; } catch (IOException) { return ""; } })];

    private static int Count(string file, string text) =>
        File.Exists(file) ? File.ReadLines(file).Count(l => l.Contains(text, StringComparison.Ordinal)) : 0;

    private static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan within)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < within, $"not within {within}: {what}");
            await Task.Delay(100);
        }
    }
}
