using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Wrangler.Lab;

namespace Wrangler.Dashboard.Tests.Workers;

/// <summary>
/// The Workers issue's "done when" on real buildbot-worker processes. Each test leaves every worker running,
/// connected and unpaused, and holds a build that must be running with a file it removes.
/// </summary>
[Collection("workers-lab")]
public sealed class WorkersLabTests(WorkersLabFixture f)
{
    private static readonly TimeSpan Live = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Every_lab_worker_is_listed_with_the_master_it_is_connected_to()
    {
        // Tests in this class run in any order; each waits for the workers it touched to be idle again, and
        // this one waits too, so that the state it checks is the settled one rather than a view one poll old.
        foreach (var w in f.Lab.Masters.SelectMany(m => m.Workers))
        {
            await f.EventuallyAsync(w.Name, e => e.GetProperty("state").GetString() == "idle", "idle", TimeSpan.FromSeconds(15));
        }

        var all = await f.WorkersAsync();
        Assert.Equal(f.Lab.Masters.Sum(m => m.Workers.Count), all.Length);
        foreach (var m in f.Lab.Masters)
        {
            foreach (var w in m.Workers)
            {
                var e = all.Single(x => x.GetProperty("name").GetString() == w.Name);
                Assert.Equal([m.Name], Strings(e, "connectedTo"));
                Assert.Equal([m.Name], Strings(e, "configuredOn"));
                Assert.Equal("idle", e.GetProperty("state").GetString());
                Assert.Equal("ok", e.GetProperty("liveness").GetString());
                Assert.StartsWith("3.7", e.GetProperty("version").GetString());
                Assert.Equal($"lab worker of {m.Name}", e.GetProperty("host").GetString());
                Assert.Equal(m.Name, e.GetProperty("pool").GetString()); // WorkersLabFixture.PoolPattern
                Assert.NotEqual(JsonValueKind.Null, e.GetProperty("lastConnectedAt").ValueKind);
            }
        }
    }

    [Fact]
    public async Task A_forced_build_shows_the_worker_busy_with_master_builder_number_then_its_last_build_and_result()
    {
        var m = f.Lab.Masters[0];
        var hold = HoldFile();
        try
        {
            var request = await f.Lab.ForceBuildAsync(m, 0, "sleep", hold);
            var (number, worker) = await RunningBuildAsync(m, request);

            var busy = await f.EventuallyAsync(worker, e => e.GetProperty("state").GetString() == "busy", "busy", Live);
            var run = Assert.Single(busy.GetProperty("runningBuilds").EnumerateArray());
            Assert.Equal(m.Name, run.GetProperty("master").GetString());
            Assert.Equal("sleep", run.GetProperty("builder").GetString());
            Assert.Equal(number, run.GetProperty("number").GetInt32());
            Assert.Contains("#/builders/", run.GetProperty("url").GetString());

            var running = await f.App.Client.GetFromJsonAsync<JsonElement[]>($"/api/v1/builds?master={m.Name}&builder=sleep&number={number}&running=true");
            var indexed = Assert.Single(running!);
            Assert.Equal(worker, indexed.GetProperty("worker").GetString());
            Assert.Equal(JsonValueKind.Null, indexed.GetProperty("finishedAt").ValueKind);

            File.Delete(hold);
            Assert.Equal(0, await f.Lab.WaitForBuildAsync(m, request, TimeSpan.FromSeconds(60)));
            var done = await f.EventuallyAsync(worker, e => e.GetProperty("state").GetString() == "idle"
                && e.GetProperty("lastBuildResult").GetString() == "success", "idle with its last build a success", Live);
            Assert.NotEqual(JsonValueKind.Null, done.GetProperty("lastBuildFinishedAt").ValueKind);
            Assert.Equal(number, done.GetProperty("lastBuild").GetProperty("number").GetInt32());
            Assert.Equal(m.Name, done.GetProperty("lastBuild").GetProperty("master").GetString());

            var finished = await f.App.Client.GetFromJsonAsync<JsonElement[]>($"/api/v1/builds?worker={worker}&running=false");
            var b = finished!.Single(x => x.GetProperty("number").GetInt32() == number && x.GetProperty("master").GetString() == m.Name);
            Assert.Equal("success", b.GetProperty("result").GetString());

            var detail = await f.App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/workers/{worker}");
            Assert.Contains(detail.GetProperty("recentBuilds").EnumerateArray(), x => x.GetProperty("number").GetInt32() == number);
        }
        finally
        {
            File.Delete(hold);
        }
    }

    [Fact]
    public async Task Pause_and_unpause_through_Wrangler_reach_Buildbot_and_are_audited()
    {
        var m = f.Lab.Masters[1];
        var w = m.Workers[0].Name;
        using (var noReason = await f.ActAsync(w, "pause", " "))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        }

        using (var unknown = await f.ActAsync("no-such-worker", "pause", "lab"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        try
        {
            using (var pause = await f.ActAsync(w, "pause", "lab pause"))
            {
                Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
            }

            Assert.True((await f.BuildbotWorkerAsync(m, w)).GetProperty("paused").GetBoolean());
            await f.EventuallyAsync(w, e => e.GetProperty("state").GetString() == "paused" && e.GetProperty("paused").GetBoolean(), "paused", Live);
            var audit = await f.App.Client.GetStringAsync("/api/v1/audit?kind=worker.");
            Assert.Contains("worker.pause", audit);
            Assert.Contains("lab pause", audit);
        }
        finally
        {
            using var unpause = await f.ActAsync(w, "unpause", "lab done");
            Assert.Equal(HttpStatusCode.OK, unpause.StatusCode);
        }

        Assert.False((await f.BuildbotWorkerAsync(m, w)).GetProperty("paused").GetBoolean());
        await f.EventuallyAsync(w, e => e.GetProperty("state").GetString() == "idle", "idle after unpause", Live);
    }

    [Fact]
    public async Task A_pause_with_until_is_lifted_by_Wrangler_at_that_time()
    {
        var m = f.Lab.Masters[1];
        var w = m.Workers[1].Name;
        // Long enough that Wrangler shows the pause before it ends: without seeing "paused" first, the wait
        // for "idle" below could be met by the view from before the pause (a fresh-clone CI run failed so).
        var until = DateTimeOffset.UtcNow.AddSeconds(6);
        try
        {
            using (var pause = await f.ActAsync(w, "pause", "lab timed pause", until))
            {
                Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
            }

            Assert.True((await f.BuildbotWorkerAsync(m, w)).GetProperty("paused").GetBoolean());
            await f.EventuallyAsync(w, e => e.GetProperty("state").GetString() == "paused"
                && e.GetProperty("pausedUntil").ValueKind != JsonValueKind.Null, "paused until a time", Live);
            var lifted = await f.EventuallyAsync(w, e => e.GetProperty("state").GetString() == "idle", "unpaused by Wrangler", TimeSpan.FromSeconds(10));
            Assert.True(DateTimeOffset.UtcNow >= until);
            Assert.Equal(JsonValueKind.Null, lifted.GetProperty("pausedUntil").ValueKind);
            Assert.False((await f.BuildbotWorkerAsync(m, w)).GetProperty("paused").GetBoolean());
            var audit = await f.App.Client.GetStringAsync("/api/v1/audit?kind=worker.unpause");
            Assert.Contains("timed pause ended", audit);
        }
        finally
        {
            using (await f.ActAsync(w, "unpause", "lab cleanup"))
            {
            }

            // The class's promise: the next test finds every worker idle in Wrangler's view, not only in Buildbot's.
            await f.EventuallyAsync(w, e => e.GetProperty("state").GetString() == "idle", "idle after cleanup", Live);
        }
    }

    [Fact]
    public async Task A_graceful_shutdown_of_a_busy_worker_lets_its_build_finish_with_success_before_the_worker_leaves()
    {
        var m = f.Lab.Masters[1];
        var hold = HoldFile();
        LabWorker? leaving = null;
        try
        {
            var request = await f.Lab.ForceBuildAsync(m, 0, "sleep", hold);
            var (_, worker) = await RunningBuildAsync(m, request);
            leaving = m.Workers.Single(w => w.Name == worker);
            await f.EventuallyAsync(worker, e => e.GetProperty("state").GetString() == "busy", "busy", Live);

            using (var graceful = await f.ActAsync(worker, "gracefulShutdown", "lab graceful"))
            {
                Assert.Equal(HttpStatusCode.OK, graceful.StatusCode);
            }

            Assert.True((await f.BuildbotWorkerAsync(m, worker)).GetProperty("graceful").GetBoolean());
            await f.EventuallyAsync(worker, e => e.GetProperty("state").GetString() == "shuttingDown", "shutting down", Live);
            Assert.True(f.Lab.WorkerRunning(leaving), "the worker left before its build finished");

            File.Delete(hold);
            Assert.Equal(0, await f.Lab.WaitForBuildAsync(m, request, TimeSpan.FromSeconds(60)));
            var sw = Stopwatch.StartNew();
            while (f.Lab.WorkerRunning(leaving))
            {
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), "the worker process did not exit after its build");
                await Task.Delay(50);
            }

            var gone = await f.EventuallyAsync(worker, e => e.GetProperty("state").GetString() == "disconnected", "disconnected once gone", Live);
            Assert.Equal("success", gone.GetProperty("lastBuildResult").GetString());
            Assert.Contains("worker.gracefulShutdown", await f.App.Client.GetStringAsync("/api/v1/audit?kind=worker."));
        }
        finally
        {
            File.Delete(hold);
            if (leaving is not null)
            {
                await RestartIfStoppedAsync(leaving);
                await f.EventuallyAsync(leaving.Name, e => e.GetProperty("state").GetString() == "idle", "back and idle", TimeSpan.FromSeconds(15));
            }
        }
    }

    [Fact]
    public async Task A_stopped_worker_is_disconnected_within_2s_goes_critical_comes_back_and_keeps_its_times_across_a_restart()
    {
        var stopped = f.Lab.Masters[0].Workers[1];
        var idle = f.Lab.Masters[1].Workers[1];
        var before = await f.EventuallyAsync(stopped.Name, e => e.GetProperty("state").GetString() == "idle", "idle", Live);
        var connectedBefore = before.GetProperty("lastConnectedAt").GetDateTimeOffset();
        try
        {
            using (var mark = await f.App.Client.PutAsJsonAsync($"/api/v1/workers/{idle.Name}/expectedIdle",
                       new { reason = "kept idle for the lab", until = DateTimeOffset.UtcNow.AddHours(1) }))
            {
                Assert.Equal(HttpStatusCode.OK, mark.StatusCode);
            }

            var stopAt = DateTimeOffset.UtcNow;
            await Task.WhenAll(f.Lab.StopWorkerAsync(stopped), f.Lab.StopWorkerAsync(idle));
            var gone = await f.EventuallyAsync(stopped.Name, e => e.GetProperty("state").GetString() == "disconnected", "disconnected", Live);
            var disconnectedAt = gone.GetProperty("lastDisconnectedAt").GetDateTimeOffset();
            Assert.InRange(disconnectedAt, stopAt.AddSeconds(-1), DateTimeOffset.UtcNow);
            Assert.Equal("disconnected", (await f.EventuallyAsync(idle.Name, e => e.GetProperty("state").GetString() == "disconnected", "disconnected", Live))
                .GetProperty("state").GetString());

            using (var refused = await f.ActAsync(stopped.Name, "pause", "lab"))
            {
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
                Assert.Contains("not connected", await refused.Content.ReadAsStringAsync());
            }

            var (status, text) = await CheckUntilAsync("", s => s == HttpStatusCode.ServiceUnavailable, WorkersLabFixture.MissingAfter + TimeSpan.FromSeconds(5));
            Assert.StartsWith("CRITICAL - ", text);
            Assert.Contains(stopped.Name, text);
            Assert.DoesNotContain(idle.Name + " (", text);
            Assert.Contains("expected_idle=1", text);
            Assert.Equal(HttpStatusCode.OK, (await CheckAsync($"?worker={idle.Name}")).Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await CheckAsync($"?worker={stopped.Name}")).Status);

            await Task.WhenAll(f.Lab.StartWorkerAsync(stopped), f.Lab.StartWorkerAsync(idle));
            var back = await f.EventuallyAsync(stopped.Name, e => e.GetProperty("state").GetString() == "idle", "connected again", Live);
            var connectedAgain = back.GetProperty("lastConnectedAt").GetDateTimeOffset();
            Assert.True(connectedAgain > disconnectedAt && connectedAgain > connectedBefore, $"connected at {connectedAgain:O}, disconnected at {disconnectedAt:O}");
            Assert.Equal(disconnectedAt, back.GetProperty("lastDisconnectedAt").GetDateTimeOffset());
            (status, text) = await CheckUntilAsync("", s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(5));
            Assert.StartsWith("OK - ", text);

            await f.RestartAppAsync();
            var kept = (await f.WorkerAsync(stopped.Name))!.Value;
            Assert.Equal(connectedAgain, kept.GetProperty("lastConnectedAt").GetDateTimeOffset());
            Assert.Equal(disconnectedAt, kept.GetProperty("lastDisconnectedAt").GetDateTimeOffset());
            Assert.Equal("expectedIdle", (await f.WorkerAsync(idle.Name))!.Value.GetProperty("liveness").GetString());

            var detail = await f.App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/workers/{stopped.Name}");
            var history = detail.GetProperty("history").EnumerateArray().ToList();
            Assert.Equal("connected", history[0].GetProperty("kind").GetString());
            Assert.Equal("disconnected", history[1].GetProperty("kind").GetString());
            Assert.Equal(f.Lab.Masters[0].Name, history[1].GetProperty("master").GetString());
            Assert.Equal(disconnectedAt, history[1].GetProperty("at").GetDateTimeOffset());
        }
        finally
        {
            await RestartIfStoppedAsync(stopped);
            await RestartIfStoppedAsync(idle);
            using (await f.App.Client.DeleteAsync($"/api/v1/workers/{idle.Name}/expectedIdle"))
            {
            }

            await f.EventuallyAsync(stopped.Name, e => e.GetProperty("state").GetString() == "idle", "back and idle", TimeSpan.FromSeconds(15));
            await f.EventuallyAsync(idle.Name, e => e.GetProperty("state").GetString() == "idle"
                && e.GetProperty("liveness").GetString() == "ok", "back, idle and no longer expected idle", TimeSpan.FromSeconds(15));
        }
    }

    private string HoldFile()
    {
        var path = Path.Combine(f.Lab.Root, "hold-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, "the build waits while this file exists\n");
        return path;
    }

    private async Task RestartIfStoppedAsync(LabWorker w)
    {
        if (!f.Lab.WorkerRunning(w))
        {
            await f.Lab.StartWorkerAsync(w);
        }
    }

    // The build of a request as Buildbot itself reports it once started: its number and the worker running it.
    private async Task<(int Number, string Worker)> RunningBuildAsync(LabMaster m, int request)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var doc = await f.Lab.GetJsonAsync(m, $"builds?buildrequestid={request}");
            foreach (var b in doc.RootElement.GetProperty("builds").EnumerateArray())
            {
                if (b.GetProperty("workerid").ValueKind == JsonValueKind.Number)
                {
                    using var w = await f.Lab.GetJsonAsync(m, $"workers/{b.GetProperty("workerid").GetInt32()}");
                    return (b.GetProperty("number").GetInt32(), w.RootElement.GetProperty("workers")[0].GetProperty("name").GetString()!);
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"build request {request} on {m.Name} did not start");
    }

    private async Task<(HttpStatusCode Status, string Text)> CheckAsync(string query)
    {
        using var r = await f.App.Client.GetAsync("/api/v1/checks/nagios/workers" + query);
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    private async Task<(HttpStatusCode Status, string Text)> CheckUntilAsync(string query, Func<HttpStatusCode, bool> done, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        var last = await CheckAsync(query);
        while (!done(last.Status))
        {
            Assert.True(sw.Elapsed < within, $"worker check still {(int)last.Status}: {last.Text}");
            await Task.Delay(100);
            last = await CheckAsync(query);
        }

        return last;
    }

    private static string[] Strings(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(x => x.GetString()!)];
}
