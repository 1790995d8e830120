using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace Wrangler.Core.Persistence;

/// <summary>Applies migrations before anything else starts; hosted services start in registration order.</summary>
internal sealed class DatabaseMigrator(IDbContextFactory<WranglerDb> factory) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        await DatabaseSetup.MigrateAsync(db, ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
