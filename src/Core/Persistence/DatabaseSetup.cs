using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Wrangler.Core.Persistence;

public static class DatabaseSetup
{
    public static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public static void Configure(DbContextOptionsBuilder options, string path) =>
        options.UseSqlite(ConnectionString(path)).AddInterceptors(SqliteBusyWait.Instance);

    /// <summary>Creates the directory, applies migrations and switches the file to WAL.</summary>
    public static async Task MigrateAsync(WranglerDb db, CancellationToken ct = default)
    {
        var path = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }
        await db.Database.MigrateAsync(ct);
        // WAL lets the poller write while pages read; the mode is stored in the file itself.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
    }
}
