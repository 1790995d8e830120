using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Quartz;
using Quartz.Impl.Calendar;
using Wrangler.Core.Campaigns;
using Wrangler.Dashboard.Tests.Auth;

namespace Wrangler.Dashboard.Tests.Upgrade;

/// <summary>
/// Opens the database Wrangler wrote at 5f927e0 (.NET 9, EF Core 9, Quartz 3 with its own QRTZ_ DDL and serializer;
/// README.md beside the file says what is in it) and checks that today's Wrangler upgrades it in place and keeps it all.
/// </summary>
public sealed class UpgradeTests
{
    private const string CiToken = "wr_Bzf97mge85OAGbi2PGXA0IyUVxmoKQv4B5EXZ49kAr4";

    [Fact]
    public async Task A_database_written_by_the_previous_version_opens_upgrades_and_keeps_everything()
    {
        var (dir, db) = CopyOfTheOldDatabase();
        try
        {
            await using var host = await AppHost.StartAsync($"--Wrangler:Database={db}", "--Wrangler:Demo:Seed=42");

            // The token and the account of the old database still work.
            using var ci = host.NewClient(CiToken);
            var campaigns = await ci.GetFromJsonAsync<JsonElement>("/api/v1/campaigns");
            var states = campaigns.EnumerateArray().ToDictionary(c => c.GetProperty("id").GetInt64(), c => c.GetProperty("state").GetString());
            Assert.Equal("succeeded", states[1]);
            Assert.Equal("awaitingApproval", states[2]);
            using (var alice = new SignedInClient(host))
            {
                await alice.SignInAsync("alice", "alice-legacy-pass-2026");
            }

            var users = await host.Client.GetFromJsonAsync<JsonElement>("/api/v1/users");
            Assert.Contains(users.EnumerateArray(), u => u.GetProperty("name").GetString() == "alice" && u.GetProperty("role").GetString() == "operator");
            Assert.Contains(users.EnumerateArray(), u => u.GetProperty("name").GetString() == "admin");
            var tokens = await host.Client.GetFromJsonAsync<JsonElement>("/api/v1/tokens");
            Assert.Contains(tokens.EnumerateArray(), t => t.GetProperty("name").GetString() == "ci");

            var audit = await host.Client.GetFromJsonAsync<JsonElement>("/api/v1/audit");
            var kinds = audit.EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
            foreach (var kind in new[] { "auth.user.create", "auth.token.create", "auth.signin", "campaign.created", "campaign.approve", "campaign.succeeded", "schedule.created", "schedule.excludedDate.added" })
            {
                Assert.Contains(kind, kinds);
            }

            var schedules = await host.Client.GetFromJsonAsync<JsonElement>("/api/v1/schedules");
            Assert.Equal(["weekly graceful restart tests1-windows", "every 5 minutes restart bm67"],
                schedules.EnumerateArray().OrderBy(s => s.GetProperty("id").GetInt64()).Select(s => s.GetProperty("name").GetString()));
            var dates = await host.Client.GetFromJsonAsync<JsonElement>("/api/v1/calendars/excluded-dates");
            Assert.Equal("2026-12-27", Assert.Single(dates.EnumerateArray()).GetProperty("date").GetString());

            // Quartz kept the triggers as they were: the weekly one still fires next Sunday 22:00 in Los Angeles, as
            // stored by Quartz 3, and its calendar (written again from ExcludedDates) still excludes the 27th.
            var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
            // Quartz's hosted service starts it once the app has started.
            for (var i = 0; i < 100 && scheduler.Status != SchedulerStatus.Running; i++)
            {
                await Task.Delay(100);
            }

            Assert.Equal(SchedulerStatus.Running, scheduler.Status);
            Assert.Same(host.Services.GetRequiredService<TimeProvider>(), scheduler.TimeProvider);
            var weekly = Assert.IsAssignableFrom<ICronTrigger>(await scheduler.GetTrigger(new TriggerKey("schedule-1", "wrangler")));
            Assert.Equal(new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero), weekly.NextFireTimeUtc);
            Assert.Equal(("0 0 22 ? * SUN", "America/Los_Angeles"), (weekly.CronExpressionString, weekly.TimeZone.Id));
            var calendar = Assert.IsType<HolidayCalendar>(await scheduler.GetCalendar("schedule-1"));
            Assert.True(calendar.IsDayExcluded(new DateOnly(2026, 12, 27)));

            // The every-5-minutes one (misfire policy skip) missed 07:00 while no Wrangler ran: Quartz moved it on to the
            // next 5-minute mark from now instead of firing late.
            var frequent = Assert.IsAssignableFrom<ICronTrigger>(await scheduler.GetTrigger(new TriggerKey("schedule-2", "wrangler")));
            var next = Assert.NotNull(frequent.NextFireTimeUtc);
            Assert.True(next > DateTimeOffset.UtcNow.AddSeconds(-5) && next.Minute % 5 == 0 && next.Second == 0, $"next fire {next:O}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The every-5-minutes schedule was due at 07:00Z when the old Wrangler stopped. With the clock (Wrangler's and so
    /// Quartz's) set just before that, the upgraded store fires it at 07:00 and its campaign starts.
    /// </summary>
    [Fact]
    public async Task After_the_upgrade_a_stored_schedule_fires_on_time()
    {
        var (dir, db) = CopyOfTheOldDatabase();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 6, 59, 50, TimeSpan.Zero));
        try
        {
            await using var host = await AppHost.StartAsync(
                b => b.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)), $"--Wrangler:Database={db}", "--Wrangler:Demo:Seed=42");
            var campaigns = host.Services.GetRequiredService<CampaignService>();
            Assert.DoesNotContain(await campaigns.ListAsync(50, CancellationToken.None), c => c.ScheduleId == 2);

            clock.Advance(TimeSpan.FromSeconds(11));
            CampaignView? fired = null;
            for (var i = 0; i < 600 && fired is null; i++)
            {
                await Task.Delay(100);
                fired = (await campaigns.ListAsync(50, CancellationToken.None)).FirstOrDefault(c => c.ScheduleId == 2);
            }

            Assert.NotNull(fired);
            Assert.Equal(["bm67-tests1-linux32"], fired.Masters.Select(m => m.Name));
            Assert.Equal(new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero).AddMinutes(4), fired.NotAfter);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (string Dir, string Db) CopyOfTheOldDatabase()
    {
        var dir = Directory.CreateTempSubdirectory("wrangler-upgrade-").FullName;
        var db = Path.Combine(dir, "wrangler.db");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Upgrade", "legacy-5f927e0.db"), db);
        return (dir, db);
    }
}
