using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;
using Wrangler.Core.Leases;
using Wrangler.Core.Persistence;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Tests.Fleet;

/// <summary>The monitor's scheduling and storage with hand-written fakes; what the states mean is in MasterObservationTests.</summary>
public sealed class FleetMonitorTests : IAsyncLifetime
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-monitor-").FullName;
    private ServiceProvider services = null!;
    private LeaderLease? lease;

    private static MasterInfo Master(string name) => new()
    {
        Name = name,
        Hostname = name + ".example.com",
        Role = MasterRole.Tests,
        Basedir = "/b/" + name,
        MasterDir = "/b/" + name + "/master",
        HttpPort = 8001,
        BuildbotBin = "/b/bin/buildbot",
        ApiUrl = new Uri($"http://{name}.example.com:8001/api/v2"),
    };

    public async Task InitializeAsync()
    {
        services = new ServiceCollection()
            .AddDbContextFactory<WranglerDb>(o => DatabaseSetup.Configure(o, Path.Combine(dir, "w.db")))
            .BuildServiceProvider();
        await using var db = await services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync();
        await DatabaseSetup.MigrateAsync(db);

        // The only instance on its database leads, so it stores snapshots and state changes.
        lease = new LeaderLease(services.GetRequiredService<IDbContextFactory<WranglerDb>>(), Options.Create(new WranglerOptions()), TimeProvider.System, NullLogger<LeaderLease>.Instance);
        await lease.TryHoldAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }

    private FleetMonitor NewMonitor(IReadOnlyList<MasterInfo> masters, FakeAccess access, TimeSpan? pollTimeout = null) => new(
        new StaticInventory(masters, "test", false, TimeProvider.System),
        access,
        new NoTips(),
        services.GetRequiredService<IDbContextFactory<WranglerDb>>(),
        Options.Create(new WranglerOptions { PollInterval = TimeSpan.FromMilliseconds(500), PollTimeout = pollTimeout ?? TimeSpan.FromSeconds(2), PollParallelism = 4 }),
        lease!,
        TimeProvider.System,
        NullLogger<FleetMonitor>.Instance);

    [Fact]
    public async Task A_hung_master_does_not_delay_the_others_and_turns_unreachable_at_its_timeout()
    {
        var access = new FakeAccess { Hung = { "hung" } };
        var monitor = NewMonitor([Master("a"), Master("hung"), Master("b")], access, pollTimeout: TimeSpan.FromSeconds(6));
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            // Within the single poll of the hung master, the others are polled again and again on their own schedule.
            await EventuallyAsync(() => access.Polls("a") >= 3 && access.Polls("b") >= 3, TimeSpan.FromSeconds(5), "a and b polled 3 times each");
            var hung = monitor.Find("hung")!;
            Assert.Equal("not polled yet", hung.StatusDetail);
            Assert.Equal(MasterStatus.Running, monitor.Find("a")!.Status);

            await EventuallyAsync(() => monitor.Find("hung")!.Status == MasterStatus.Unreachable && monitor.Find("hung")!.LastPolledAt is not null,
                TimeSpan.FromSeconds(10), "the hung master unreachable at its timeout");
            Assert.Contains("poll timeout", monitor.Find("hung")!.StatusDetail);
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
        }
    }

    private static async Task EventuallyAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), what);
    }

    [Fact]
    public async Task Subscribers_get_the_snapshot_then_each_change_and_a_restart_shows_the_last_known_state_at_once()
    {
        var access = new FakeAccess();
        var monitor = NewMonitor([Master("a")], access);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var subscription = monitor.Subscribe(cts.Token);
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            await using var changes = subscription.Changes.GetAsyncEnumerator(cts.Token);
            MasterState? seen = null;
            while (seen?.Status != MasterStatus.Running && await changes.MoveNextAsync())
            {
                seen = changes.Current.Updated.FirstOrDefault(s => s.Name == "a") ?? seen;
            }

            Assert.Equal(MasterStatus.Running, seen!.Status);

            access.Dead.Add("a");
            while (seen.Status != MasterStatus.Stopped && await changes.MoveNextAsync())
            {
                seen = changes.Current.Updated.FirstOrDefault(s => s.Name == "a") ?? seen;
            }

            Assert.Equal(MasterStatus.Stopped, seen.Status);
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
        }

        await using (var db = await services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync())
        {
            var history = await db.MasterStateChanges.Where(c => c.Master == "a").OrderBy(c => c.Id).Select(c => c.To).ToListAsync();
            Assert.Equal(["running", "stopped"], history);
        }

        // A new Wrangler whose every poll hangs still shows what was last seen, before any poll answers.
        var restarted = NewMonitor([Master("a")], new FakeAccess { Hung = { "a" } });
        await restarted.StartAsync(CancellationToken.None);
        try
        {
            var a = restarted.Find("a")!;
            Assert.Equal(MasterStatus.Stopped, a.Status);
            Assert.NotNull(a.LastPolledAt);
        }
        finally
        {
            await restarted.StopAsync(CancellationToken.None);
        }
    }

    private sealed class NoTips : IRepoTips
    {
        public Task<IReadOnlyDictionary<(string Repo, string Branch), string>> GetTipsAsync(IReadOnlyCollection<(string Repo, string Branch)> wanted, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<(string, string), string>>(new Dictionary<(string, string), string>());
    }

    private sealed class FakeAccess : IFleetAccess
    {
        private readonly ConcurrentDictionary<string, int> polls = new();

        public HashSet<string> Hung { get; } = [];
        public ConcurrentBag<string> Dead { get; } = [];

        public int Polls(string name) => polls.GetValueOrDefault(name);

        public IMasterHost Host(MasterInfo master) => new FakeHost(this, master);

        public IBuildbotApi Api(MasterInfo master) => new FakeApi(this, master);

        private sealed class FakeHost(FakeAccess access, MasterInfo master) : IMasterHost
        {
            public async Task<HostFacts> GetFactsAsync(int logLines = 20, CancellationToken ct = default)
            {
                if (access.Hung.Contains(master.Name))
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }

                access.polls.AddOrUpdate(master.Name, 1, (_, n) => n + 1);
                var alive = !access.Dead.Contains(master.Name);
                return new HostFacts(DateTimeOffset.UtcNow, [], alive ? 10 : null, alive, alive ? DateTimeOffset.UtcNow.AddDays(-1) : null, false, null, [], [], TimeSpan.Zero);
            }

            public Task<RemoteResult> GracefulStopAsync(Action<string>? output = null, CancellationToken ct = default) => throw new NotSupportedException();
            public Task<RemoteResult> HardStopAsync(Action<string>? output = null, CancellationToken ct = default) => throw new NotSupportedException();
            public Task<RemoteResult> StartAsync(Action<string>? output = null, CancellationToken ct = default) => throw new NotSupportedException();
            public Task<ReconfigResult> ReconfigAsync(TimeSpan? timeout = null, Action<string>? output = null, CancellationToken ct = default) => throw new NotSupportedException();
            public Task<ConfigCheckResult> CheckConfigAsync(Action<string>? output = null, CancellationToken ct = default) => throw new NotSupportedException();
            public Task<IReadOnlyList<RepoUpdateResult>> UpdateReposAsync(Action<string>? output = null, CancellationToken ct = default) => throw new NotSupportedException();
            public Task<IReadOnlyList<RepoUpdateResult>> RestoreReposAsync(IReadOnlyDictionary<string, string> revisions, Action<string>? output = null, CancellationToken ct = default) => throw new NotSupportedException();
            public Task<RemoteResult> CreateLockAsync(CancellationToken ct = default) => throw new NotSupportedException();
            public Task<RemoteResult> RemoveLockAsync(CancellationToken ct = default) => throw new NotSupportedException();
            public Task<RemoteResult> RebootAsync(Action<string>? output = null, CancellationToken ct = default) => throw new NotSupportedException();
            public IAsyncEnumerable<MasterLogEvent> FollowLogAsync(Action? onFollowing = null, CancellationToken ct = default) => throw new NotSupportedException();
        }

        private sealed class FakeApi(FakeAccess access, MasterInfo master) : IBuildbotApi
        {
            private void ThrowIfDown()
            {
                if (access.Dead.Contains(master.Name))
                {
                    throw new BuildbotApiException(BuildbotErrorKind.Unreachable, "connection refused");
                }
            }

            public Task<IReadOnlyList<BuildbotMaster>> GetMastersAsync(CancellationToken ct = default)
            {
                ThrowIfDown();
                return Task.FromResult<IReadOnlyList<BuildbotMaster>>([new BuildbotMaster(1, $"{master.Hostname}:{master.MasterDir}", true, null)]);
            }

            public Task<IReadOnlyList<BuildbotWorker>> GetWorkersAsync(CancellationToken ct = default)
            {
                ThrowIfDown();
                return Task.FromResult<IReadOnlyList<BuildbotWorker>>([]);
            }

            public Task<IReadOnlyList<RunningBuild>> GetRunningBuildsAsync(CancellationToken ct = default)
            {
                ThrowIfDown();
                return Task.FromResult<IReadOnlyList<RunningBuild>>([]);
            }

            public Task<IReadOnlyList<PendingBuildRequest>> GetPendingRequestsAsync(CancellationToken ct = default)
            {
                ThrowIfDown();
                return Task.FromResult<IReadOnlyList<PendingBuildRequest>>([]);
            }

            public Task<IReadOnlyList<BuildbotBuilder>> GetBuildersAsync(CancellationToken ct = default) => throw new NotSupportedException();

            public Task ControlWorkerAsync(string workerName, WorkerAction action, string reason, CancellationToken ct = default) => throw new NotSupportedException();
        }
    }
}
