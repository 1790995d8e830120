using System.Diagnostics;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Tests.Lab;
using Wrangler.Core.Tests.Remote;
using Wrangler.Lab;
using Xunit.Abstractions;

namespace Wrangler.Core.Tests.Buildbot;

[Collection("lab")]
public sealed class BuildbotClientLabTests(LabFixture lab, ITestOutputHelper output)
{
    private LabFleet Fleet => lab.Fleet;

    [Fact]
    public async Task Reads_masters_workers_builders_and_running_builds()
    {
        await using var access = LabAccess.For(Fleet);
        var m = Fleet.Masters[0];
        var api = access.Fleet.Api(access.Master(m));

        var master = Assert.Single(await api.GetMastersAsync());
        Assert.EndsWith(":" + m.MasterDir, master.Name, StringComparison.Ordinal);
        Assert.True(master.Active);

        var workers = await api.GetWorkersAsync();
        Assert.Equal(m.Workers.Select(w => w.Name).Order(), workers.Select(w => w.Name).Order());
        Assert.All(workers, w => Assert.Equal([master.MasterId], w.ConnectedTo));
        Assert.All(workers, w => Assert.NotEmpty(w.ConfiguredOn));

        var builders = await api.GetBuildersAsync();
        Assert.Contains(builders, b => b.Name == "sleep" && b.MasterIds.Contains(master.MasterId));

        var request = await Fleet.ForceBuildAsync(m, 3);
        var sw = Stopwatch.StartNew();
        IReadOnlyList<RunningBuild> running;
        while ((running = await api.GetRunningBuildsAsync()).Count == 0)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), "the forced build never showed as running");
            await Task.Delay(100);
        }

        var build = Assert.Single(running);
        output.WriteLine($"{build.BuilderName} #{build.Number} on {build.WorkerName} since {build.StartedAt}");
        Assert.Equal("sleep", build.BuilderName);
        Assert.Contains(build.WorkerName, m.Workers.Select(w => w.Name));
        Assert.NotNull(build.StartedAt);
        Assert.DoesNotContain(await api.GetPendingRequestsAsync(), p => !p.Claimed);
        Assert.Equal(0, await Fleet.WaitForBuildAsync(m, request, TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Pause_and_unpause_change_what_the_api_reports()
    {
        await using var access = LabAccess.For(Fleet);
        var m = Fleet.Masters[0];
        var api = access.Fleet.Api(access.Master(m));
        var worker = m.Workers[0].Name;
        try
        {
            await api.ControlWorkerAsync(worker, WorkerAction.Pause, "wrangler test");
            Assert.True((await api.GetWorkersAsync()).Single(w => w.Name == worker).Paused);
        }
        finally
        {
            await api.ControlWorkerAsync(worker, WorkerAction.Unpause, "wrangler test done");
        }

        Assert.False((await api.GetWorkersAsync()).Single(w => w.Name == worker).Paused);
    }

    [Fact]
    public async Task Graceful_stop_of_a_worker_shows_graceful_then_disconnected()
    {
        await using var access = LabAccess.For(Fleet);
        var m = Fleet.Masters[1];
        var api = access.Fleet.Api(access.Master(m));
        var worker = m.Workers[^1];
        try
        {
            await api.ControlWorkerAsync(worker.Name, WorkerAction.GracefulStop, "wrangler test");

            var sw = Stopwatch.StartNew();
            BuildbotWorker state;
            while ((state = (await api.GetWorkersAsync()).Single(w => w.Name == worker.Name)).IsConnected)
            {
                Assert.True(state.Graceful, "graceful must show at once");
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), "the idle worker never disconnected");
                await Task.Delay(200);
            }

            output.WriteLine($"disconnected {sw.Elapsed.TotalSeconds:0.0} s after the graceful stop");
            Assert.True(state.Graceful);
        }
        finally
        {
            // Nothing restarts a stopped worker; put it back for the other tests.
            await WaitForFileGoneAsync(Path.Combine(worker.Dir, "twistd.pid"));
            await Fleet.RunAsync("/usr/bin/buildbot-worker", "start", worker.Dir);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Fleet.WaitForWorkersAsync(m, cts.Token);
        }

        Assert.False((await api.GetWorkersAsync()).Single(w => w.Name == worker.Name).Graceful);
    }

    [Fact]
    public async Task Control_of_an_unknown_worker_is_a_clear_error()
    {
        await using var access = LabAccess.For(Fleet);
        var api = access.Fleet.Api(access.Master(Fleet.Masters[0]));

        var ex = await Assert.ThrowsAsync<BuildbotApiException>(() => api.ControlWorkerAsync("no-such-worker", WorkerAction.Pause, "x"));

        Assert.Equal(BuildbotErrorKind.UnknownWorker, ex.Kind);
        Assert.Contains("no-such-worker", ex.Message, StringComparison.Ordinal);
    }

    private static async Task WaitForFileGoneAsync(string path)
    {
        var sw = Stopwatch.StartNew();
        while (File.Exists(path) && sw.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100);
        }
    }
}
