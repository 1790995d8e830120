using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wrangler.Core.Leases;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Tests.Leases;

/// <summary>The lease row itself, one look at a time, on a temporary SQLite file and a fake clock.</summary>
public sealed class LeaderLeaseTests : IAsyncLifetime
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-lease-").FullName;
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));
    private ServiceProvider services = null!;

    public async Task InitializeAsync()
    {
        services = new ServiceCollection()
            .AddDbContextFactory<WranglerDb>(o => DatabaseSetup.Configure(o, Path.Combine(dir, "w.db")))
            .BuildServiceProvider();
        await using var db = await Dbs.CreateDbContextAsync();
        await DatabaseSetup.MigrateAsync(db);
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }

    private IDbContextFactory<WranglerDb> Dbs => services.GetRequiredService<IDbContextFactory<WranglerDb>>();

    private LeaderLease Lease(string name, Lifetime? lifetime = null) =>
        new(Dbs, Options.Create(new WranglerOptions { Instance = name }), time, NullLogger<LeaderLease>.Instance, lifetime);

    [Fact]
    public async Task One_instance_leads_the_other_follows_naming_it_and_renewals_keep_it_leading_past_the_lease()
    {
        var a = Lease("a");
        var b = Lease("b");
        await a.TryHoldAsync(CancellationToken.None);
        await b.TryHoldAsync(CancellationToken.None);
        Assert.True(a.IsLeader);
        Assert.True(a.WhenLeadingAsync(CancellationToken.None).IsCompleted);
        Assert.False(b.IsLeader);
        Assert.False(b.WhenLeadingAsync(CancellationToken.None).IsCompleted);
        Assert.Equal("a", b.Current.Leader);
        Assert.Equal("this Wrangler (b) is a read-only follower; a leads: make changes there", b.Refusal);

        for (var i = 0; i < 9; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            await a.TryHoldAsync(CancellationToken.None);
            await b.TryHoldAsync(CancellationToken.None);
        }

        Assert.True(a.IsLeader);
        Assert.False(b.IsLeader);
    }

    [Fact]
    public async Task When_the_leader_stops_renewing_the_follower_takes_over_after_expiry_and_the_old_leader_stops_itself()
    {
        var life = new Lifetime();
        var a = Lease("a", life);
        var b = Lease("b");
        await a.TryHoldAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(29));
        await b.TryHoldAsync(CancellationToken.None);
        Assert.False(b.IsLeader); // not expired yet

        time.Advance(TimeSpan.FromSeconds(2));
        await b.TryHoldAsync(CancellationToken.None);
        Assert.True(b.IsLeader);

        // The old leader wakes up (a stall, a partition) and finds the row taken: it must not act again.
        await a.TryHoldAsync(CancellationToken.None);
        Assert.False(a.IsLeader);
        Assert.True(life.Stopped);
        Assert.Equal("b", a.Current.Leader);
    }

    [Fact]
    public async Task A_holder_on_this_host_whose_process_is_gone_is_taken_over_at_once()
    {
        using (var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            await gone.WaitForExitAsync();
            await using var db = await Dbs.CreateDbContextAsync();
            db.Leases.Add(new LeaseRecord
            {
                Name = LeaderLease.Name, Owner = "dead", Holder = "old", Host = Environment.MachineName, Pid = gone.Id,
                Since = time.GetUtcNow(), RenewedAt = time.GetUtcNow(), ExpiresAt = time.GetUtcNow().AddSeconds(30), Version = 1,
            });
            await db.SaveChangesAsync();
        }

        var b = Lease("b");
        await b.TryHoldAsync(CancellationToken.None);
        Assert.True(b.IsLeader);
        Assert.Equal("b", (await RowAsync()).Holder);
    }

    [Fact]
    public async Task A_clean_stop_expires_the_lease_so_the_next_look_takes_it()
    {
        var a = Lease("a");
        var b = Lease("b");
        await a.StartAsync(CancellationToken.None);
        await b.TryHoldAsync(CancellationToken.None);
        Assert.False(b.IsLeader);

        await a.StopAsync(CancellationToken.None);
        await b.TryHoldAsync(CancellationToken.None);
        Assert.True(b.IsLeader);
    }

    private async Task<LeaseRecord> RowAsync()
    {
        await using var db = await Dbs.CreateDbContextAsync();
        return await db.Leases.AsNoTracking().SingleAsync();
    }

    /// <summary>Records that the lease asked the host to stop.</summary>
    private sealed class Lifetime : IHostApplicationLifetime
    {
        public bool Stopped { get; private set; }

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => Stopped = true;
    }
}
