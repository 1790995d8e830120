using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Tests.Persistence;

/// <summary>The CaseInsensitiveNames migration on a database that already has accounts, two of them differing only in case.</summary>
public sealed class CaseInsensitiveNamesMigrationTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-namekey-").FullName;

    [Fact]
    public async Task Existing_rows_get_their_key_and_old_clashes_keep_working()
    {
        var options = new DbContextOptionsBuilder<WranglerDb>();
        DatabaseSetup.Configure(options, Path.Combine(dir, "old.db"));
        await using (var db = new WranglerDb(options.Options))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261201030000_Sync");
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO Users (Name, PasswordHash, Role, CreatedAt, Disabled) VALUES ('alice', 'x', 'Viewer', '2026-11-01 00:00:00+00:00', 0);
                INSERT INTO Users (Name, PasswordHash, Role, CreatedAt, Disabled) VALUES ('admin', 'x', 'Admin', '2026-11-01 00:00:00+00:00', 0);
                INSERT INTO Users (Name, PasswordHash, Role, CreatedAt, Disabled) VALUES ('ADMIN', 'x', 'Viewer', '2026-11-02 00:00:00+00:00', 0);
                """);
            await db.Database.MigrateAsync();
        }

        await using (var db = new WranglerDb(options.Options))
        {
            var keys = await db.Users.OrderBy(u => u.Id).Select(u => new { u.Name, u.NameKey }).ToListAsync();
            Assert.Equal(["ALICE", "ADMIN", "ADMIN#3"], keys.Select(k => k.NameKey));
            // And the unique index now holds: a fourth "Admin" cannot be stored.
            db.Users.Add(new Core.Auth.UserAccount { Name = "Admin", NameKey = "ADMIN", PasswordHash = "x" });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }
}
