using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Leases;

/// <summary>Who leads, as this instance last saw the lease row.</summary>
public sealed record LeaseView(bool Leading, string Instance, string? Leader, string? LeaderUrl, DateTimeOffset? LeaderSince, DateTimeOffset? ExpiresAt)
{
    /// <summary>The leader in words: its name and, when known, where it serves.</summary>
    public string LeaderText => (Leader ?? "no instance yet") + (LeaderUrl is null ? "" : $" ({LeaderUrl})");
}

/// <summary>
/// One Wrangler per database acts: it holds the <c>Leases</c> row named <see cref="Name"/>, renewing it every third
/// of <see cref="WranglerOptions.LeaseDuration"/>. Every other instance follows: it serves pages and reads, refuses
/// writes (<see cref="Refusal"/>), and looks at the row as often, taking it once it has expired (or its holder, on
/// this host, is gone). The runner, the scheduler and auto-reconfig wait on <see cref="WhenLeadingAsync"/>, so an
/// instance that takes over recovers campaigns exactly as a restarted one does. An instance that loses the lease
/// it held stops itself: work it started cannot be withdrawn safely any other way (docs/ha.md).
/// </summary>
public sealed class LeaderLease(
    IDbContextFactory<WranglerDb> dbs,
    IOptions<WranglerOptions> options,
    TimeProvider time,
    ILogger<LeaderLease> logger,
    IHostApplicationLifetime? lifetime = null) : BackgroundService
{
    public const string Name = "leader";

    private readonly string owner = Guid.NewGuid().ToString("N");
    private readonly TaskCompletionSource leading = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string host = Environment.MachineName;
    private readonly int pid = Environment.ProcessId;
    private LeaseView current = new(false, Instance(options.Value), null, null, null, null);
    private DateTimeOffset heldUntil = DateTimeOffset.MinValue;

    public LeaseView Current => Volatile.Read(ref current);

    public bool IsLeader => Current.Leading;

    /// <summary>This instance's name: <see cref="WranglerOptions.Instance"/>, or host:pid.</summary>
    public string Self => Current.Instance;

    /// <summary>Where this instance serves, written into the row while it leads so followers can name it.</summary>
    public string? Url { get; set; }

    /// <summary>Raised (on a pool thread) when this instance starts leading or sees another leader.</summary>
    public event Action? Changed;

    /// <summary>Completes once this instance leads; it never stops leading short of stopping.</summary>
    public Task WhenLeadingAsync(CancellationToken ct) => leading.Task.WaitAsync(ct);

    /// <summary>Why a write is refused here: this instance follows, and who leads.</summary>
    public string Refusal => $"this Wrangler ({Self}) is a read-only follower; {Current.LeaderText} leads: make changes there";

    /// <summary>
    /// Throws the caller's own refusal, carrying <see cref="Refusal"/>, unless this instance leads: every service that
    /// changes anything asks here first (docs/ha.md).
    /// </summary>
    public void EnsureLeading(Func<string, Exception> refusal)
    {
        if (!IsLeader)
        {
            throw refusal(Refusal);
        }
    }

    private TimeSpan Duration => options.Value.LeaseDuration;

    public static string Instance(WranglerOptions o) => string.IsNullOrWhiteSpace(o.Instance) ? $"{Environment.MachineName}:{Environment.ProcessId}" : o.Instance.Trim();

    /// <summary>Takes the lease at once when it is free, so a single instance leads before anything else starts.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await TryHoldAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Duration / 3, time, stoppingToken);
                try
                {
                    await TryHoldAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Looking at the leader lease failed");
                    LostIfPast(time.GetUtcNow());
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A clean stop hands the lease over at once instead of making followers wait for it to expire.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!IsLeader)
        {
            return;
        }

        try
        {
            await using var db = await dbs.CreateDbContextAsync(cancellationToken);
            var row = await db.Leases.FirstOrDefaultAsync(l => l.Name == Name && l.Owner == owner, cancellationToken);
            if (row is not null)
            {
                row.ExpiresAt = time.GetUtcNow();
                row.Version++;
                await db.SaveChangesAsync(cancellationToken);
                logger.LogInformation("Released the leader lease");
            }
        }
        catch (Exception ex) when (ex is DbUpdateException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException or OperationCanceledException)
        {
            logger.LogWarning("Could not release the leader lease ({Error}); followers take it when it expires", ex.Message);
        }
    }

    /// <summary>One look at the row: renew it, take it, or note who holds it.</summary>
    internal async Task TryHoldAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var row = await db.Leases.FirstOrDefaultAsync(l => l.Name == Name, ct);
            var mine = row?.Owner == owner;
            if (row is not null && !mine && row.ExpiresAt > now && !Gone(row))
            {
                Follow(row);
                return;
            }

            if (row is null)
            {
                row = new LeaseRecord { Name = Name, Owner = owner, Holder = Self, Host = host, Pid = pid, Since = now };
                db.Leases.Add(row);
            }
            else if (!mine)
            {
                logger.LogWarning("Taking the leader lease from {Holder} ({Why})", row.Holder, row.ExpiresAt <= now ? $"expired at {row.ExpiresAt:u}" : $"process {row.Pid} on {row.Host} is gone");
                row.Owner = owner;
                row.Holder = Self;
                row.Host = host;
                row.Pid = pid;
                row.Since = now;
            }

            row.Url = Url;
            row.RenewedAt = now;
            row.ExpiresAt = now + Duration;
            row.Version++;
            await db.SaveChangesAsync(ct);
            heldUntil = row.ExpiresAt;
            Lead(row);
        }
        catch (DbUpdateException ex)
        {
            // Another instance wrote the row between our read and our write (the concurrency token, or the key on a first insert).
            logger.LogInformation("Another instance changed the leader lease first: {Error}", ex.InnerException?.Message ?? ex.Message);
            LostIfPast(now);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            logger.LogWarning("Cannot read or renew the leader lease: {Error}", ex.Message);
            LostIfPast(now);
        }
    }

    /// <summary>A holder on this very host whose process has ended is dead now: no need to wait for its lease to expire.</summary>
    private bool Gone(LeaseRecord row)
    {
        if (row.Host != host || row.Pid == pid)
        {
            return false;
        }

        try
        {
            using var p = Process.GetProcessById(row.Pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private void Lead(LeaseRecord row)
    {
        var was = Current;
        Volatile.Write(ref current, new LeaseView(true, Self, Self, row.Url, row.Since, row.ExpiresAt));
        if (!was.Leading)
        {
            logger.LogInformation("This instance ({Instance}) leads: it runs campaigns, schedules and auto-reconfig", Self);
            leading.TrySetResult();
            Changed?.Invoke();
        }
    }

    private void Follow(LeaseRecord row)
    {
        var was = Current;
        Volatile.Write(ref current, new LeaseView(false, Self, row.Holder, row.Url, row.Since, row.ExpiresAt));
        if (was.Leading)
        {
            Lost($"{row.Holder} took the lease");
        }
        else if (was.Leader != row.Holder || was.LeaderUrl != row.Url)
        {
            logger.LogInformation("This instance ({Instance}) follows {Leader}: read-only", Self, row.Holder);
            Changed?.Invoke();
        }
    }

    private void LostIfPast(DateTimeOffset now)
    {
        if (IsLeader && now >= heldUntil)
        {
            Volatile.Write(ref current, Current with { Leading = false, Leader = null });
            Lost("the lease expired before it could be renewed");
        }
    }

    private void Lost(string why)
    {
        logger.LogCritical("This instance ({Instance}) lost the leader lease: {Why}; stopping so that only one instance acts", Self, why);
        Changed?.Invoke();
        lifetime?.StopApplication();
    }
}
