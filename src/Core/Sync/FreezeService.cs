using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Sync;

/// <summary>A freeze or lift that cannot be done as asked (no reason, already frozen, not frozen).</summary>
public sealed class SyncRefusedException(string message, int statusCode = 409) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>
/// The freeze switch: while on, no automatic reconfig starts. Stored (a restart keeps it), audited, and cached so
/// every page's banner reads it without a query.
/// </summary>
public sealed class FreezeService(IDbContextFactory<WranglerDb> dbs, Leases.LeaderLease lease, TimeProvider time)
{
    public const int MaxReason = Input.InputRules.MaxReason;

    private readonly SemaphoreSlim gate = new(1, 1);
    private FreezeView? current;
    private bool loaded;

    /// <summary>Raised after a freeze is set or lifted. Handlers must not block.</summary>
    public event Action? Changed;

    /// <summary>The freeze in force, as last loaded; <see cref="GetAsync"/> loads it the first time.</summary>
    public FreezeView? Current => Volatile.Read(ref current);

    public async Task<FreezeView?> GetAsync(CancellationToken ct)
    {
        if (!Volatile.Read(ref loaded))
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var row = await db.Freezes.AsNoTracking().Where(f => f.LiftedAt == null).OrderByDescending(f => f.Id).FirstOrDefaultAsync(ct);
            Volatile.Write(ref current, row is null ? null : View(row));
            Volatile.Write(ref loaded, true);
        }

        return Current;
    }

    /// <summary>Reads the freeze again: a follower does so on every watcher tick, since the leader sets and lifts it.</summary>
    public async Task<FreezeView?> ReloadAsync(CancellationToken ct)
    {
        var before = Current;
        Volatile.Write(ref loaded, false);
        var now = await GetAsync(ct);
        if (before?.Id != now?.Id)
        {
            Changed?.Invoke();
        }

        return now;
    }

    public async Task<FreezeView> SetAsync(string actor, string? reason, CancellationToken ct)
    {
        EnsureLeading();
        var why = Check(reason, "a freeze needs a reason");
        await gate.WaitAsync(ct);
        FreezeView view;
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            if (await db.Freezes.AsNoTracking().FirstOrDefaultAsync(f => f.LiftedAt == null, ct) is { } on)
            {
                throw new SyncRefusedException($"already frozen by {on.SetBy} since {on.SetAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC: {on.Reason}");
            }

            var row = new FreezeRecord { SetBy = actor, Reason = why, SetAt = time.GetUtcNow() };
            db.Freezes.Add(row);
            db.AuditEvents.Add(new AuditEvent { At = row.SetAt, Actor = actor, Kind = "sync.freeze", Subject = "auto-reconfig", Detail = why });
            await db.SaveChangesAsync(ct);
            view = View(row);
            Volatile.Write(ref current, view);
            Volatile.Write(ref loaded, true);
        }
        finally
        {
            gate.Release();
        }

        Changed?.Invoke();
        return view;
    }

    public async Task LiftAsync(string actor, string? reason, CancellationToken ct)
    {
        EnsureLeading();
        var why = string.IsNullOrWhiteSpace(reason) ? "no reason given" : Check(reason, "");
        await gate.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var on = await db.Freezes.Where(f => f.LiftedAt == null).ToListAsync(ct);
            if (on.Count == 0)
            {
                throw new SyncRefusedException("auto-reconfig is not frozen");
            }

            var now = time.GetUtcNow();
            foreach (var f in on)
            {
                f.LiftedAt = now;
                f.LiftedBy = actor;
                f.LiftReason = why;
            }

            db.AuditEvents.Add(new AuditEvent { At = now, Actor = actor, Kind = "sync.unfreeze", Subject = "auto-reconfig", Detail = $"{why} (frozen by {on[0].SetBy} since {on[0].SetAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC: {on[0].Reason})" });
            await db.SaveChangesAsync(ct);
            Volatile.Write(ref current, null);
            Volatile.Write(ref loaded, true);
        }
        finally
        {
            gate.Release();
        }

        Changed?.Invoke();
    }

    private static string Check(string? reason, string missing)
    {
        var why = reason?.Trim() ?? "";
        if (why.Length == 0)
        {
            throw new SyncRefusedException(missing, 400);
        }

        return Input.InputRules.ReasonProblem("reason", why) is { } problem ? throw new SyncRefusedException(problem, 400) : why;
    }

    private static FreezeView View(FreezeRecord r) => new(r.Id, r.SetBy, r.Reason, r.SetAt);

    // The leader's watcher holds the freeze in memory; one set on a follower would not stop it (docs/ha.md).
    private void EnsureLeading() => lease.EnsureLeading(m => new SyncRefusedException(m, 503));
}
