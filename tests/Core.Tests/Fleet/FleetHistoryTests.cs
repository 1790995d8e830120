using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Fleet;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Tests.Fleet;

public sealed class FleetHistoryTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-history-").FullName;
    private ServiceProvider services = null!;

    private static MasterStateChangeRecord Change(string master, double hours, string to, string? from = null) =>
        new() { Master = master, At = T0.AddHours(hours), From = from, To = to };

    public async Task InitializeAsync()
    {
        services = new ServiceCollection()
            .AddDbContextFactory<WranglerDb>(o => DatabaseSetup.Configure(o, Path.Combine(dir, "w.db")))
            .BuildServiceProvider();
        await using var db = await services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync();
        await DatabaseSetup.MigrateAsync(db);
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Intervals_start_with_the_state_a_master_had_when_the_window_opened_and_end_at_the_next_change()
    {
        var intervals = FleetHistory.Intervals(
            [Change("a", -5, "running"), Change("a", 2, "unreachable", "running"), Change("a", 3.5, "running", "unreachable"), Change("b", 1, "stopped")],
            T0, T0.AddHours(24));

        Assert.Equal(
            [
                new StateInterval("a", "running", T0, T0.AddHours(2)),
                new StateInterval("a", "unreachable", T0.AddHours(2), T0.AddHours(3.5)),
                new StateInterval("a", "running", T0.AddHours(3.5), T0.AddHours(24)),
                new StateInterval("b", "stopped", T0.AddHours(1), T0.AddHours(24)),
            ],
            intervals);
    }

    [Fact]
    public void A_slot_counts_the_most_masters_unreachable_at_once_not_every_master_that_was_at_some_point()
    {
        // a and b are unreachable one after the other inside the first hour, c overlaps a: at most two at once.
        var intervals = FleetHistory.Intervals(
            [
                Change("a", 0.1, "unreachable"), Change("a", 0.3, "running"),
                Change("b", 0.5, "unreachable"), Change("b", 0.9, "running"),
                Change("c", 0.2, "unreachable"), Change("c", 0.4, "running"),
            ],
            T0, T0.AddHours(24));
        var behind = new Dictionary<string, DateTimeOffset> { ["a"] = T0.AddHours(23.5), ["d"] = T0.AddHours(-30) };

        var slots = FleetHistory.Slots(intervals, behind, T0, T0.AddHours(24), 24);

        Assert.Equal(24, slots.Count);
        Assert.Equal((2, 1), (slots[0].Unreachable, slots[0].Behind));
        Assert.Equal((0, 1), (slots[1].Unreachable, slots[1].Behind));
        Assert.Equal((0, 2), (slots[23].Unreachable, slots[23].Behind));
        Assert.Equal(T0.AddHours(23), slots[23].From);
        Assert.Equal(T0.AddHours(24), slots[23].To);
    }

    [Fact]
    public async Task Loading_reads_the_stored_changes_and_the_last_one_before_the_window()
    {
        var dbs = services.GetRequiredService<IDbContextFactory<WranglerDb>>();
        await using (var db = await dbs.CreateDbContextAsync())
        {
            db.MasterStateChanges.AddRange(
                Change("a", -10, "running"), Change("a", -3, "unreachable", "running"), Change("a", 4, "running", "unreachable"),
                Change("b", -1, "running"), Change("b", 30, "unreachable", "running"));
            await db.SaveChangesAsync();
        }

        var intervals = await FleetHistory.LoadAsync(dbs, T0, T0.AddHours(24), CancellationToken.None);

        Assert.Equal(
            [
                new StateInterval("a", "unreachable", T0, T0.AddHours(4)),
                new StateInterval("a", "running", T0.AddHours(4), T0.AddHours(24)),
                new StateInterval("b", "running", T0, T0.AddHours(24)),
            ],
            intervals.OrderBy(i => i.Master).ThenBy(i => i.From));
    }
}
