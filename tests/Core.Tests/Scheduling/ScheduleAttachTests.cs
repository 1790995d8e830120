using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Quartz;
using Wrangler.Core.Persistence;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Scheduling;
using Wrangler.Core.Tests.Campaigns.Engine;

namespace Wrangler.Core.Tests.Scheduling;

/// <summary>
/// Putting the stored schedules into Quartz, as a start or a take-over does (src/Core/Scheduling/ScheduleAttacher.cs),
/// on the real Quartz store in the engine's temporary SQLite file and the fake clock.
/// </summary>
public sealed class ScheduleAttachTests
{
    [Fact]
    public async Task A_one_off_schedule_that_has_already_fired_is_attached_without_a_trigger_instead_of_stopping_the_host()
    {
        using var world = new World();
        await using var engine = await Engine.StartAsync(world);
        var schedules = engine.Get<ScheduleService>();
        var once = world.Time.GetUtcNow().AddHours(1);
        var past = await schedules.CreateAsync(Spec("once", $"0 {once.Minute} {once.Hour} {once.Day} {once.Month} ? {once.Year}"), "alice", CancellationToken.None);
        var weekly = await schedules.CreateAsync(Spec("weekly", "0 0 22 ? * SUN"), "alice", CancellationToken.None);

        // Its one time passes while no scheduler runs (a follower, or Wrangler stopped); Quartz would refuse the trigger.
        world.Time.Advance(TimeSpan.FromHours(2));
        var scheduler = await engine.Get<ISchedulerFactory>().GetScheduler();
        await schedules.AttachAsync(scheduler, CancellationToken.None);

        Assert.Null(await scheduler.GetTrigger(ScheduleJob.TriggerKey(past.Id)));
        Assert.NotNull(await scheduler.GetTrigger(ScheduleJob.TriggerKey(weekly.Id)));
        Assert.NotNull(await schedules.GetAsync(past.Id, CancellationToken.None));
        await scheduler.Shutdown();
    }

    [Fact]
    public async Task A_cron_whose_every_time_has_passed_is_refused_with_the_reason()
    {
        using var world = new World();
        await using var engine = await Engine.StartAsync(world);
        var gone = world.Time.GetUtcNow().AddHours(-1);
        var refused = await Assert.ThrowsAsync<ScheduleRefusedException>(() =>
            engine.Get<ScheduleService>().CreateAsync(Spec("gone", $"0 {gone.Minute} {gone.Hour} {gone.Day} {gone.Month} ? {gone.Year}"), "alice", CancellationToken.None));
        Assert.Contains("has no fire time left", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_one_off_whose_time_passes_while_its_save_waits_on_the_database_still_fires_late_instead_of_never()
    {
        // A second instance's write held the database for 20 s while a one-off due 10 s after the click was saved
        // (a fresh-clone CI run saw 4.6 s between the two writes of one save, and the fire never came).
        using var world = new World();
        var slow = new SlowScheduleSave(world.Time) { By = TimeSpan.FromSeconds(20) };
        await using var engine = await Engine.StartAsync(world, interceptor: slow);
        var schedules = engine.Get<ScheduleService>();
        var scheduler = await engine.Get<ISchedulerFactory>().GetScheduler();
        await schedules.AttachAsync(scheduler, CancellationToken.None);

        var due = world.Time.GetUtcNow().AddSeconds(10);
        var once = await schedules.CreateAsync(Spec("once", $"{due.Second} {due.Minute} {due.Hour} {due.Day} {due.Month} ? {due.Year}", world.Fleet.Masters[0].Name), "alice", CancellationToken.None);

        Assert.True(slow.Slowed);
        Assert.True(world.Time.GetUtcNow() > due, "the save ended after the fire time");
        Assert.Null(await scheduler.GetTrigger(ScheduleJob.TriggerKey(once.Id)));
        var passed = await scheduler.GetTrigger(ScheduleJob.PassedTriggerKey(once.Id));
        Assert.NotNull(passed);
        Assert.True(passed.NextFireTimeUtc <= world.Time.GetUtcNow(), "the passed fire is due at once");
        var scheduled = DateTimeOffset.Parse((string)passed.JobDataMap[ScheduleJob.ScheduledKey]!, CultureInfo.InvariantCulture);
        Assert.Equal(due, scheduled);

        // What the job does with it: the late fire runs the schedule's campaign, within its window.
        await schedules.FireAsync(once.Id, scheduled, CancellationToken.None);
        var campaigns = await engine.Campaigns.ListAsync(10, CancellationToken.None);
        await using (var db = await engine.Get<IDbContextFactory<WranglerDb>>().CreateDbContextAsync())
        {
            var said = await db.AuditEvents.Where(e => e.Subject == $"schedule {once.Id}").Select(e => e.Kind + ": " + e.Detail).ToListAsync();
            Assert.True(campaigns.Count == 1, "the fire started no campaign: " + string.Join("; ", said));
        }

        var campaign = campaigns[0];
        Assert.Equal(once.Id, campaign.ScheduleId);
        await scheduler.Shutdown();
    }

    [Fact]
    public async Task A_recurring_schedule_whose_first_time_passes_while_it_is_saved_fires_that_time_late_and_keeps_its_cron()
    {
        using var world = new World();
        var slow = new SlowScheduleSave(world.Time);
        await using var engine = await Engine.StartAsync(world, interceptor: slow);
        var schedules = engine.Get<ScheduleService>();
        var scheduler = await engine.Get<ISchedulerFactory>().GetScheduler();
        await schedules.AttachAsync(scheduler, CancellationToken.None);
        var asked = world.Time.GetUtcNow();
        var first = new DateTimeOffset(asked.Year, asked.Month, asked.Day, asked.Hour, 1, 0, TimeSpan.Zero);
        first = first > asked ? first : first.AddHours(1);
        slow.By = first - asked + TimeSpan.FromSeconds(30);

        var hourly = await schedules.CreateAsync(Spec("hourly", "0 1 * * * ?"), "alice", CancellationToken.None);

        var cron = await scheduler.GetTrigger(ScheduleJob.TriggerKey(hourly.Id));
        Assert.NotNull(cron);
        Assert.Equal(first.AddHours(1), cron.NextFireTimeUtc);
        var passed = await scheduler.GetTrigger(ScheduleJob.PassedTriggerKey(hourly.Id));
        Assert.NotNull(passed);
        Assert.Equal(first.ToString("O", CultureInfo.InvariantCulture), passed.JobDataMap[ScheduleJob.ScheduledKey]);
        await scheduler.Shutdown();
    }

    private sealed class SlowScheduleSave(FakeTimeProvider time) : SaveChangesInterceptor
    {
        public TimeSpan By { get; set; }

        public bool Slowed { get; private set; }

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (!Slowed && eventData.Context!.ChangeTracker.Entries<ScheduleRecord>().Any(e => e.State == EntityState.Added))
            {
                Slowed = true;
                time.Advance(By);
            }

            return ValueTask.FromResult(result);
        }
    }

    private static ScheduleSpec Spec(string name, string cron, string master = "bm05-try1") =>
        new(name, CampaignKind.Restart, new Selector { Names = [master] }, null, cron, "UTC", TimeSpan.FromMinutes(10));
}
