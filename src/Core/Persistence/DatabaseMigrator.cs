using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Wrangler.Core.Persistence;

/// <summary>Applies migrations before anything else starts; hosted services start in registration order.</summary>
internal sealed class DatabaseMigrator(IDbContextFactory<WranglerDb> factory, ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        await DatabaseSetup.MigrateAsync(db, ct);
        if (await QuartzSchemaUpgrade.ApplyAsync(db.Database.GetConnectionString()!, ct))
        {
            logger.LogWarning("Upgraded the scheduler's QRTZ_ tables from Quartz 3 to Quartz 4; schedules keep their triggers");
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
