using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Leases;
using Wrangler.Core.Persistence;
using Wrangler.Core.Sync;
using Wrangler.Dashboard.Auth;

namespace Wrangler.Components.Tests;

/// <summary>A component test whose Core services keep their state in a scratch SQLite database, deleted afterwards.</summary>
public abstract class DatabaseTest : ComponentTest
{
    protected DatabaseTest()
    {
        Ctx.Services.AddDbContextFactory<WranglerDb>(o => DatabaseSetup.Configure(o, Path.Combine(Dir, "w.db")));
    }

    protected string Dir { get; } = Directory.CreateTempSubdirectory("wrangler-components-").FullName;

    /// <summary>
    /// The real campaign, lease and production services over a fleet that is whatever the test says (nothing is polled).
    /// The production watcher is not started, as no host runs here: a page reads only its current status.
    /// </summary>
    protected void UseFleet(IEnumerable<MasterState> masters, bool demo = false)
    {
        Ctx.Services.AddLogging();
        Ctx.Services.AddOptions<WranglerOptions>();
        Ctx.Services.AddSingleton<IFleetMonitor>(new FakeFleetMonitor(masters, demo));
        Ctx.Services.AddSingleton<IRepoTips, NoTips>();
        Ctx.Services.AddSingleton<DecisionBoard>();
        Ctx.Services.AddSingleton<LeaderLease>();
        Ctx.Services.AddSingleton<CampaignService>();
        Ctx.Services.AddSingleton<StepOutputLog>();
        Ctx.Services.AddScoped<UserAccess>();
        Ctx.Services.AddWranglerSync(new ConfigurationBuilder().Build(), Dir);
    }

    /// <summary>
    /// The app's own Core composition (src/Core/CoreServiceCollectionExtensions.cs) over the deterministic demo fleet, on
    /// this test's database and fake clock. Nothing runs until the test starts it.
    /// </summary>
    protected void UseDemoCore()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wrangler:Database"] = Path.Combine(Dir, "w.db"),
            ["Wrangler:Demo:Seed"] = "42",
        }).Build();
        Ctx.Services.AddLogging();
        Ctx.Services.AddWranglerCore(config, Dir);
        Ctx.Services.AddScoped<UserAccess>();
    }

    /// <summary>Moves the fake clock a second at a time, letting the services run in between, until <paramref name="done"/> holds.</summary>
    protected async Task PumpUntilAsync(Func<bool> done, string what)
    {
        for (var i = 0; i < 600 && !done(); i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        Assert.True(done(), $"{what} did not happen within 600 simulated seconds");
    }

    protected async Task MigrateAsync()
    {
        await using var db = await Ctx.Services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync();
        await DatabaseSetup.MigrateAsync(db);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
    }
}
