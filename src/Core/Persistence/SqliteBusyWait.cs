using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Wrangler.Core.Persistence;

/// <summary>
/// Makes SQLite itself wait, in steps of a few milliseconds, when another connection holds the write lock. Without it
/// Microsoft.Data.Sqlite gets SQLITE_BUSY at once and retries after a fixed 150 ms sleep, so two writes that meet (a
/// campaign step's state and a ledger entry, the lease's renewal, a poll) cost the second one 150 ms, where the first
/// held the lock for about one. The campaign engine makes several such writes between two steps of a master
/// (docs/performance.md, "Makespan").
/// </summary>
internal sealed class SqliteBusyWait : DbConnectionInterceptor
{
    public static readonly SqliteBusyWait Instance = new();

    // As long as the command timeout of DatabaseSetup.ConnectionString, so a write waits as long as before at most.
    private const string Pragma = "PRAGMA busy_timeout = 30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Set(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Set(connection);
        return Task.CompletedTask;
    }

    private static void Set(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }
}
