using Microsoft.Data.Sqlite;

namespace Wrangler.Core.Persistence;

/// <summary>
/// Quartz's 3.x → 4.x schema migration for the QRTZ_ tables of a database written by Wrangler on Quartz 3, run once
/// before Quartz starts. Quartz 4 provisions a missing schema but never upgrades one (and refuses a 3.x one), and an EF
/// migration cannot be conditional, while a fresh database has no QRTZ_ tables until Quartz creates them: so this is a
/// step of its own, keyed on the column Quartz 4 added last. The columns are those of Quartz 4.7.3's SQLite schema that
/// Quartz 3.22's lacks; the tables Quartz 4 added, and its indexes, are created by Quartz's own provisioning.
/// </summary>
public static class QuartzSchemaUpgrade
{
    private static readonly string[] Statements =
    [
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN RETRY_POLICY NVARCHAR(250) NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN RETRY_ATTEMPT INTEGER NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN CONTINUES_TRIGGER_NAME NVARCHAR(150) NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN CONTINUES_TRIGGER_GROUP NVARCHAR(150) NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN CONTINUATION_CONDITION INTEGER NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN OVERLAP_POLICY INTEGER NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN PAUSE_REASON NVARCHAR(250) NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN PAUSED_BY NVARCHAR(200) NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN PAUSED_AT BIGINT NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN MISFIRE_THRESHOLD BIGINT NULL",
        "ALTER TABLE QRTZ_TRIGGERS ADD COLUMN FIXED_DELAY BIT NULL",
        "ALTER TABLE QRTZ_PAUSED_TRIGGER_GRPS ADD COLUMN PAUSE_REASON NVARCHAR(250) NULL",
        "ALTER TABLE QRTZ_PAUSED_TRIGGER_GRPS ADD COLUMN PAUSED_BY NVARCHAR(200) NULL",
        "ALTER TABLE QRTZ_PAUSED_TRIGGER_GRPS ADD COLUMN PAUSED_AT BIGINT NULL",
        "ALTER TABLE QRTZ_FIRED_TRIGGERS ADD COLUMN PROGRESS INTEGER NULL",
        "ALTER TABLE QRTZ_FIRED_TRIGGERS ADD COLUMN PROGRESS_MESSAGE NVARCHAR(250) NULL",
        "ALTER TABLE QRTZ_FIRED_TRIGGERS ADD COLUMN INTERRUPT_REQUESTED_TIME BIGINT NULL",
        "ALTER TABLE QRTZ_SCHEDULER_STATE ADD COLUMN QUARTZ_VERSION NVARCHAR(20) NULL",
        // The 3.x tables' own delete triggers and indexes; Quartz 4 provisions its own under QRTZ_-prefixed names.
        "DROP TRIGGER IF EXISTS DELETE_SIMPLE_TRIGGER",
        "DROP TRIGGER IF EXISTS DELETE_SIMPROP_TRIGGER",
        "DROP TRIGGER IF EXISTS DELETE_CRON_TRIGGER",
        "DROP TRIGGER IF EXISTS DELETE_BLOB_TRIGGER",
        "DROP INDEX IF EXISTS IDX_QRTZ_FT_TRIG",
        "DROP INDEX IF EXISTS IDX_QRTZ_T_NFT",
        // Blobs written by the Quartz 3 era's own JSON serializer, which Quartz 4's cannot read. Wrangler's jobs carry no
        // data, and each schedule's calendar is derived from the ExcludedDates table: ScheduleService.AttachAsync writes
        // it again before Quartz starts, leaving the trigger (and its next fire time) as it was.
        "UPDATE QRTZ_JOB_DETAILS SET JOB_DATA = NULL",
        "UPDATE QRTZ_TRIGGERS SET JOB_DATA = NULL",
        "DELETE FROM QRTZ_CALENDARS",
    ];

    /// <summary>Upgrades the QRTZ_ tables in place when they predate Quartz 4; returns whether it did.</summary>
    public static async Task<bool> ApplyAsync(string connectionString, CancellationToken ct)
    {
        await using var conn = new SqliteConnection(connectionString);
        await conn.OpenAsync(ct);
        if (!await NeedsUpgradeAsync(conn, ct))
        {
            return false;
        }

        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync(ct);
        foreach (var sql in Statements)
        {
            await using var cmd = conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return true;
    }

    private static async Task<bool> NeedsUpgradeAsync(SqliteConnection conn, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'QRTZ_TRIGGERS'), (SELECT COUNT(*) FROM pragma_table_info('QRTZ_TRIGGERS') WHERE name = 'MISFIRE_THRESHOLD')";
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return r.GetInt64(0) == 1 && r.GetInt64(1) == 0;
    }
}
