using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Persistence;
using Wrangler.Core.Scheduling;

namespace Wrangler.Core.Tests.Scheduling;

/// <summary>Quartz's tables are created by Wrangler beside EF's, idempotently, without touching EF's schema or rows.</summary>
public sealed class QuartzSchemaTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-quartz-").FullName;

    [Fact]
    public async Task Quartz_tables_are_created_once_beside_the_migrated_schema()
    {
        var path = Path.Combine(dir, "w.db");
        var options = new DbContextOptionsBuilder<WranglerDb>();
        DatabaseSetup.Configure(options, path);
        await using (var db = new WranglerDb(options.Options))
        {
            await DatabaseSetup.MigrateAsync(db);
        }

        var cs = DatabaseSetup.ConnectionString(path);
        await QuartzSchema.EnsureAsync(cs, CancellationToken.None);
        await using (var conn = new SqliteConnection(cs))
        {
            await conn.OpenAsync();
            await using var insert = conn.CreateCommand();
            insert.CommandText = "INSERT INTO QRTZ_LOCKS (SCHED_NAME, LOCK_NAME) VALUES ('Wrangler', 'TRIGGER_ACCESS')";
            await insert.ExecuteNonQueryAsync();
        }

        // A restart runs it again: nothing is dropped or duplicated.
        await QuartzSchema.EnsureAsync(cs, CancellationToken.None);
        await using var c = new SqliteConnection(cs);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'QRTZ_%' ORDER BY name";
        var tables = new List<string>();
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                tables.Add(r.GetString(0));
            }
        }

        Assert.Equal(["QRTZ_BLOB_TRIGGERS", "QRTZ_CALENDARS", "QRTZ_CRON_TRIGGERS", "QRTZ_FIRED_TRIGGERS", "QRTZ_JOB_DETAILS", "QRTZ_LOCKS", "QRTZ_PAUSED_TRIGGER_GRPS",
            "QRTZ_SCHEDULER_STATE", "QRTZ_SIMPLE_TRIGGERS", "QRTZ_SIMPROP_TRIGGERS", "QRTZ_TRIGGERS"], tables);
        cmd.CommandText = "SELECT count(*) FROM QRTZ_LOCKS";
        Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!);
        await using var db2 = new WranglerDb(options.Options);
        Assert.Empty(await db2.Database.GetPendingMigrationsAsync());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }
}
