using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Tests.Persistence;

/// <summary>
/// Migrations are written by hand (the EF design-time package does not restore here), so nothing
/// else notices a model change that lacks a migration: these tests compare the two schemas.
/// </summary>
public sealed partial class MigrationsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-migrations-").FullName;

    [Fact]
    public async Task MigrationsMatchModel()
    {
        var migrated = Path.Combine(dir, "migrated.db");
        var created = Path.Combine(dir, "created.db");
        await using (var db = Open(migrated))
        {
            await db.Database.MigrateAsync();
        }
        await using (var db = Open(created))
        {
            await db.Database.EnsureCreatedAsync();
        }

        var fromMigrations = await SchemaAsync(migrated);
        var fromModel = await SchemaAsync(created);

        Assert.Contains(fromModel, s => s.StartsWith("table AuditEvents ", StringComparison.Ordinal));
        Assert.Equal(fromModel, fromMigrations);
    }

    [Fact]
    public async Task MigrateAgainKeepsExistingRows()
    {
        var path = Path.Combine(dir, "existing.db");
        var at = new DateTimeOffset(2026, 11, 22, 6, 0, 0, TimeSpan.Zero);
        await using (var db = Open(path))
        {
            await DatabaseSetup.MigrateAsync(db);
            db.AuditEvents.Add(new AuditEvent { At = at, Actor = "alice", Kind = "campaign.approve", Subject = "c-1", Detail = "wave 1" });
            await db.SaveChangesAsync();
        }

        // A restart (or an upgrade with no new migrations) migrates the same file again.
        await using (var db = Open(path))
        {
            await DatabaseSetup.MigrateAsync(db);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            var e = Assert.Single(await db.AuditEvents.ToListAsync());
            Assert.Equal(("alice", "campaign.approve", "c-1", "wave 1", at), (e.Actor, e.Kind, e.Subject, e.Detail, e.At));
        }
    }

    public void Dispose()
    {
        // Pooled connections keep the files open; release them before deleting.
        SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }

    private static WranglerDb Open(string path)
    {
        var options = new DbContextOptionsBuilder<WranglerDb>();
        DatabaseSetup.Configure(options, path);
        return new WranglerDb(options.Options);
    }

    /// <summary>Tables and indexes as "type name tbl_name sql", with quoting and whitespace normalised.</summary>
    private static async Task<List<string>> SchemaAsync(string path)
    {
        await using var conn = new SqliteConnection(DatabaseSetup.ConnectionString(path));
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = """
            SELECT type, name, tbl_name, sql FROM sqlite_master
            WHERE name NOT LIKE '__EFMigrations%' AND name NOT LIKE 'sqlite_%'
            ORDER BY type, name
            """;
        var rows = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var sql = reader.IsDBNull(3) ? "" : reader.GetString(3);
            rows.Add($"{reader.GetString(0)} {reader.GetString(1)} {reader.GetString(2)} {Normalise(sql)}");
        }
        return rows;
    }

    private static string Normalise(string sql)
    {
        var unquoted = sql.Replace("\"", "").Replace("`", "").Replace("[", "").Replace("]", "");
        var spaced = Whitespace().Replace(unquoted, " ");
        return SpaceAroundPunctuation().Replace(spaced, "$1").Trim();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\s*([(),])\s*")]
    private static partial Regex SpaceAroundPunctuation();
}
