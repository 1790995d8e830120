using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Demo;
using Wrangler.Core.Fleet;
using Wrangler.Core.Leases;
using Wrangler.Core.Persistence;
using Wrangler.Core.Sync;

namespace Wrangler.Core.Tests.Campaigns.Engine;

/// <summary>
/// The real campaign engine (service, runner, steps, ledger) on the deterministic demo fleet, a fake clock and a
/// temporary SQLite file. One <see cref="Engine"/> is one Wrangler process; <see cref="World"/> outlives it, so a test
/// can kill a process at any point (<see cref="CrashAfterStepChanges"/>) and start another on the same database
/// and fleet.
/// </summary>
internal sealed class Engine : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly FleetMonitor monitor;
    private readonly CampaignRunner runner;
    private readonly LeaderLease lease;
    private ProductionWatcher? watcher;

    private Engine(World world, ServiceProvider services, Crash crash)
    {
        World = world;
        Crash = crash;
        this.services = services;
        monitor = services.GetRequiredService<FleetMonitor>();
        runner = ActivatorUtilities.CreateInstance<CampaignRunner>(services);
        lease = services.GetRequiredService<LeaderLease>();
        Campaigns = services.GetRequiredService<CampaignService>();
    }

    public World World { get; }

    /// <summary>One of this process's services, for a test of a part the engine does not start itself.</summary>
    public T Get<T>()
        where T : notnull => services.GetRequiredService<T>();

    public CampaignService Campaigns { get; }

    /// <summary>This process's hold on the leader lease: the first engine on a database leads, a second one follows.</summary>
    public LeaderLease Lease => lease;

    /// <summary>Makes this process die after the Nth save that changes a step's state, if asked to.</summary>
    public Crash Crash { get; }

    /// <param name="instance">The name this process holds (or follows) the leader lease under.</param>
    /// <param name="interceptor">One more interceptor on this process's database, for a test that slows a save down.</param>
    public static async Task<Engine> StartAsync(World world, int? crashAfterStepChanges = null, string? instance = null, IInterceptor? interceptor = null)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wrangler:Instance"] = instance,
            ["Wrangler:Database"] = world.DatabasePath,
            ["Wrangler:Demo:Seed"] = World.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Wrangler:PollInterval"] = "00:00:15",
        }).Build();
        var sc = new ServiceCollection();
        sc.AddLogging();
        sc.AddSingleton<TimeProvider>(world.Time);
        sc.AddWranglerCore(config, world.Dir);
        sc.Replace(ServiceDescriptor.Singleton(world.Fleet));
        var crash = new Crash { AfterStepChanges = crashAfterStepChanges };
        sc.ConfigureDbContext<WranglerDb>(o => o.AddInterceptors(interceptor is null ? [crash] : [crash, interceptor]));
        var engine = new Engine(world, sc.BuildServiceProvider(), crash);

        if (!File.Exists(world.DatabasePath))
        {
            File.Copy(await Template.Value, world.DatabasePath);
        }

        await engine.lease.StartAsync(CancellationToken.None);
        await engine.monitor.StartAsync(CancellationToken.None);
        await engine.runner.StartAsync(CancellationToken.None);
        await engine.PumpUntilAsync(() => engine.monitor.Current.Masters.Count(m => m.LastPolledAt is not null) >= world.Fleet.Masters.Count - 1, "the first poll of the fleet");
        return engine;
    }

    /// <summary>The production watcher (auto-reconfig off): the drift clock and the tips' times.</summary>
    public async Task<ProductionWatcher> StartWatcherAsync()
    {
        watcher = services.GetRequiredService<ProductionWatcher>();
        await watcher.StartAsync(CancellationToken.None);
        return watcher;
    }

    public Task<CampaignView> CreateAsync(CampaignKind kind, string[] names, CampaignPolicy? policy = null, CampaignOrigin? origin = null) =>
        Campaigns.CreateAsync(new CampaignRequest(kind, new Selector { Names = [.. names] }, policy ?? new CampaignPolicy()), "alice", CancellationToken.None, origin);

    public Task<CampaignView> CommandAsync(long id, CampaignCommand command) => Campaigns.CommandAsync(id, command, "alice", null, CancellationToken.None);

    public Task DecideAsync(long id, string master, MasterDecision decision) => Campaigns.DecideAsync(id, master, decision, "alice", CancellationToken.None);

    public async Task<CampaignView> GetAsync(long id) => (await Campaigns.GetAsync(id, CancellationToken.None))!;

    /// <summary>Moves the fake clock a second at a time, letting the engine run in between, until the campaign satisfies <paramref name="condition"/>.</summary>
    public async Task<CampaignView> UntilAsync(long id, Func<CampaignView, bool> condition, string what, TimeSpan? simulated = null)
    {
        // Read the campaign again only when the engine says it changed: the pump stays cheap per simulated second.
        CampaignView? last = null;
        var changed = 1;
        void OnChanged(long c)
        {
            if (c == id)
            {
                Interlocked.Exchange(ref changed, 1);
            }
        }

        Campaigns.Changed += OnChanged;
        try
        {
            await PumpUntilAsync(() =>
            {
                if (Interlocked.Exchange(ref changed, 0) == 1)
                {
                    last = Campaigns.GetAsync(id, CancellationToken.None).GetAwaiter().GetResult();
                }

                return last is not null && condition(last);
            }, what, simulated, () => last?.ToString() ?? "");
        }
        finally
        {
            Campaigns.Changed -= OnChanged;
        }

        return last!;
    }

    public Task<CampaignView> UntilOverAsync(long id, TimeSpan? simulated = null) =>
        UntilAsync(id, c => !c.IsActive || c.State == CampaignState.Parked, "the end", simulated);

    /// <summary>
    /// Moves the fake clock <paramref name="step"/> (2 s by default, the step runner's watch interval) at a time until
    /// <paramref name="condition"/> holds, letting every continuation released by one move run before the next.
    /// </summary>
    public async Task PumpUntilAsync(Func<bool> condition, string what, TimeSpan? simulated = null, Func<string>? last = null, TimeSpan? step = null)
    {
        var until = World.Time.GetUtcNow() + (simulated ?? TimeSpan.FromHours(3));
        var real = Stopwatch.StartNew();
        while (!condition())
        {
            // The real-time cap only catches a hang: a CI run with the lab tests beside it has starved a healthy
            // pump of 40 s (load 35 on 2 cores). Simulated time is what the test's own limits are about.
            if (World.Time.GetUtcNow() > until || real.Elapsed > RealCap)
            {
                throw new Xunit.Sdk.XunitException($"{what}: not seen by {World.Time.GetUtcNow():u} ({real.Elapsed.TotalSeconds:0.0} s real); last: {last?.Invoke()}");
            }

            // Let every continuation the last tick released run before the next tick.
            for (var i = 0; i < 20; i++)
            {
                await Task.Yield();
            }

            await Task.Delay(1);
            World.Time.Advance(step ?? TimeSpan.FromSeconds(2));
        }
    }

    private static readonly TimeSpan RealCap = TimeSpan.FromSeconds(150);

    /// <summary>An empty, migrated database, made once per test run and copied for each world (migrating costs more than a test).</summary>
    private static readonly Lazy<Task<string>> Template = new(async () =>
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("wrangler-engine-template-").FullName, "template.db");
        var options = new DbContextOptionsBuilder<WranglerDb>();
        DatabaseSetup.Configure(options, path);
        await using (var db = new WranglerDb(options.Options))
        {
            await DatabaseSetup.MigrateAsync(db, CancellationToken.None);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return path;
    });

    /// <summary>Every ledger entry of the campaign that has not been undone.</summary>
    public async Task<List<string>> OpenLedgerAsync(long id)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync();
        return await db.Ledger.Where(l => l.CampaignId == id && l.UndoneAt == null).Select(l => l.Master + " " + l.Effect).ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // A crashed process does not stop cleanly either; stopping here only ends its tasks (their writes already fail).
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await runner.StopAsync(stop.Token);
        if (watcher is not null)
        {
            await watcher.StopAsync(stop.Token);
        }

        await lease.StopAsync(stop.Token);
        await monitor.StopAsync(stop.Token);
        runner.Dispose();
        await services.DisposeAsync();
    }
}

/// <summary>What outlives a Wrangler process: the clock, the fleet and the database file.</summary>
internal sealed class World : IDisposable
{
    public const int Seed = 7;

    // 03:00 in California: the demo fleet is quiet, so drains are short unless a test wants a build in the way.
    public static readonly DateTimeOffset Night = new(2026, 11, 23, 11, 0, 0, TimeSpan.Zero);

    // 13:00 in California: builds everywhere, so a drain waits.
    public static readonly DateTimeOffset Afternoon = new(2026, 11, 23, 21, 0, 0, TimeSpan.Zero);

    public World(DateTimeOffset? start = null)
    {
        Time = new FakeTimeProvider(start ?? Night);
        Fleet = new DemoFleet(Time, Seed);
        Dir = Directory.CreateTempSubdirectory("wrangler-engine-").FullName;
    }

    public FakeTimeProvider Time { get; }

    public DemoFleet Fleet { get; }

    public string Dir { get; }

    public string DatabasePath => Path.Combine(Dir, "wrangler.db");

    public MasterInfo Master(string name) => Fleet.Masters.Single(m => m.Name == name);

    public HostFactsView Facts(string name)
    {
        var f = Fleet.Host(Master(name)).GetFactsAsync(10_000).GetAwaiter().GetResult();
        return new HostFactsView(f.ProcessAlive, f.LockPresent, f.LogTail);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
    }
}

internal sealed record HostFactsView(bool Alive, bool Locked, IReadOnlyList<string> Log)
{
    /// <summary>How many times the process went down, as its log says.</summary>
    public int Stops => Log.Count(l => l.Contains("Main loop terminated.", StringComparison.Ordinal));
}

/// <summary>
/// Kills the process's database writes at a step boundary: the save that makes the Nth step-state change goes
/// through, and every save after it fails, as if the process had died right after that write.
/// </summary>
internal sealed class Crash : SaveChangesInterceptor
{
    private int changes;

    public int? AfterStepChanges { get; init; }

    public bool Dead { get; private set; }

    /// <summary>Step-state changes saved so far.</summary>
    public int StepChanges => changes;

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (Dead)
        {
            throw new InvalidOperationException("this Wrangler process has crashed");
        }

        var stepChanged = eventData.Context!.ChangeTracker.Entries<StepRecord>()
            .Any(e => e.State == EntityState.Modified && e.Property(x => x.State).IsModified);
        if (stepChanged)
        {
            changes++;
            if (changes == AfterStepChanges)
            {
                Dead = true; // this save is the last one that lands
            }
        }

        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result) =>
        Dead ? throw new InvalidOperationException("this Wrangler process has crashed") : result;
}
