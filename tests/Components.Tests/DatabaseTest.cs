using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Persistence;

namespace Wrangler.Components.Tests;

/// <summary>A component test whose Core services keep their state in a scratch SQLite database, deleted afterwards.</summary>
public abstract class DatabaseTest : ComponentTest
{
    protected DatabaseTest()
    {
        Ctx.Services.AddDbContextFactory<WranglerDb>(o => DatabaseSetup.Configure(o, Path.Combine(Dir, "w.db")));
    }

    protected string Dir { get; } = Directory.CreateTempSubdirectory("wrangler-components-").FullName;

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
