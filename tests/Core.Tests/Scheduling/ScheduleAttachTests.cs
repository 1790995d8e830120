using Quartz;
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

    private static ScheduleSpec Spec(string name, string cron) =>
        new(name, CampaignKind.Restart, new Selector { Names = ["bm05-try1"] }, null, cron, "UTC", TimeSpan.FromMinutes(10));
}
