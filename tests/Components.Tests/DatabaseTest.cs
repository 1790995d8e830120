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
