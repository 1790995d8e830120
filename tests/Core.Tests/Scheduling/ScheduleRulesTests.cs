using Quartz;
using Quartz.Impl.Calendar;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Scheduling;

namespace Wrangler.Core.Tests.Scheduling;

public sealed class ScheduleRulesTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static ScheduleSpec Spec(string cron = "0 0 22 ? * SUN", string zone = "America/Los_Angeles", string name = "tests sunday") =>
        new(name, CampaignKind.GracefulRestart, new Selector { Buckets = ["tests1-linux32"] }, null, cron, zone, TimeSpan.FromHours(4));

    [Fact]
    public void A_good_schedule_has_no_problems_and_its_campaign_is_pre_approved()
    {
        Assert.Empty(ScheduleRules.Validate(Spec()));
        var request = ScheduleRules.ToRequest(Spec() with { Policy = new CampaignPolicy { Approval = ApprovalMode.Plan, PerBucket = 2 } });
        Assert.Equal(ApprovalMode.None, request.Policy.Approval);
        Assert.Equal(2, request.Policy.PerBucket);
        Assert.Equal("schedule tests sunday", request.Reason);
    }

    [Theory]
    [InlineData("0 0 22 * * SUN", "cron")]          // day-of-month and day-of-week both given: Quartz refuses
    [InlineData("0 0 25 ? * SUN", "cron")]
    [InlineData("every sunday", "cron")]
    [InlineData("", "cron is required")]
    public void A_bad_cron_is_refused_with_a_clear_message(string cron, string expected)
    {
        var problems = ScheduleRules.Validate(Spec(cron: cron));
        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Other_problems_are_listed_together()
    {
        var spec = Spec(zone: "Mars/Olympus_Mons", name: " ") with { Window = TimeSpan.Zero, Selector = new Selector(), Policy = new CampaignPolicy { PerBucket = 0 } };
        var problems = ScheduleRules.Validate(spec);
        Assert.Contains("name is required", problems);
        Assert.Contains(problems, p => p.Contains("Mars/Olympus_Mons", StringComparison.Ordinal) && p.Contains("IANA", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("window must be", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("unattended schedule must select", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("perBucket", StringComparison.OrdinalIgnoreCase) || p.Contains("per bucket", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Next_fire_times_follow_the_zone_across_the_daylight_saving_change_and_skip_excluded_dates()
    {
        // Sunday 22:00 in Los Angeles is 06:00 UTC on Monday in winter (PST, -8) and 05:00 in summer (PDT, -7).
        var times = ScheduleRules.NextFireTimes("0 0 22 ? * SUN", "America/Los_Angeles", [new DateOnly(2026, 12, 13)], Monday, 5);
        Assert.Equal<DateTimeOffset>(
            [new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero), new(2026, 12, 21, 6, 0, 0, TimeSpan.Zero), new(2026, 12, 28, 6, 0, 0, TimeSpan.Zero),
             new(2027, 1, 4, 6, 0, 0, TimeSpan.Zero), new(2027, 1, 11, 6, 0, 0, TimeSpan.Zero)],
            times.ToArray());
        var summer = ScheduleRules.NextFireTimes("0 0 22 ? * SUN", "America/Los_Angeles", [], new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero), 1);
        Assert.Equal(new DateTimeOffset(2027, 6, 7, 5, 0, 0, TimeSpan.Zero), summer.Single());
    }

    [Fact]
    public void A_cron_that_fires_only_on_excluded_days_gives_no_fire_times_instead_of_looping()
    {
        var times = ScheduleRules.NextFireTimes("0 0 22 25 12 ? 2026", "UTC", [new DateOnly(2026, 12, 25)], Monday, 5);
        Assert.Empty(times);
    }

    [Fact]
    public void An_on_time_fire_runs_with_the_window_as_its_deadline()
    {
        var at = new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);
        var d = ScheduleRules.Decide("0 0 22 ? * SUN", "America/Los_Angeles", [], TimeSpan.FromHours(4), MisfirePolicy.Skip, TimeSpan.FromMinutes(1), at, at.AddSeconds(2));
        Assert.True(d.Run, d.Reason);
        Assert.Equal(at, d.Occurrence);
        Assert.Equal(at.AddHours(4), d.NotAfter);
    }

    [Fact]
    public void A_late_fire_runs_once_within_the_window_with_runLate_and_is_skipped_with_skip()
    {
        var at = new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);
        var now = at.AddHours(1);

        // Quartz's "fire once now" may hand over the time of the late fire rather than the cron time: the cron time is found again.
        var late = ScheduleRules.Decide("0 0 22 ? * SUN", "America/Los_Angeles", [], TimeSpan.FromHours(4), MisfirePolicy.RunLate, TimeSpan.FromMinutes(1), now, now);
        Assert.True(late.Run, late.Reason);
        Assert.Equal(at, late.Occurrence);
        Assert.Equal(at.AddHours(4), late.NotAfter);
        Assert.Contains("late", late.Reason, StringComparison.Ordinal);

        var skip = ScheduleRules.Decide("0 0 22 ? * SUN", "America/Los_Angeles", [], TimeSpan.FromHours(4), MisfirePolicy.Skip, TimeSpan.FromMinutes(1), at, now);
        Assert.False(skip.Run);
        Assert.Contains("misfire policy is skip", skip.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fire_after_its_window_closed_never_runs_whatever_the_policy()
    {
        var at = new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);
        var d = ScheduleRules.Decide("0 0 22 ? * SUN", "America/Los_Angeles", [], TimeSpan.FromHours(4), MisfirePolicy.RunLate, TimeSpan.FromMinutes(1), at, at.AddHours(5));
        Assert.False(d.Run);
        Assert.Contains("closed", d.Reason, StringComparison.Ordinal);

        // Many missed fire times (every 10 minutes, down for an hour): one decision, for the latest one in the window.
        var now = at.AddMinutes(61);
        var burst = ScheduleRules.Decide("0 */10 * * * ?", "UTC", [], TimeSpan.FromMinutes(5), MisfirePolicy.RunLate, TimeSpan.FromMinutes(1), now, now);
        Assert.True(burst.Run, burst.Reason);
        Assert.Equal(at.AddMinutes(60), burst.Occurrence);
    }

    [Fact]
    public void A_fire_on_an_excluded_date_does_not_run()
    {
        var at = new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero); // Sunday 6 December in Los Angeles
        var d = ScheduleRules.Decide("0 0 22 ? * SUN", "America/Los_Angeles", [new DateOnly(2026, 12, 6)], TimeSpan.FromHours(4), MisfirePolicy.RunLate, TimeSpan.FromMinutes(1), at, at);
        Assert.False(d.Run);
        Assert.Contains("excluded", d.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0 0 22 ? * SUN", "At 22:00, on Sunday")]
    [InlineData("0 30 2 ? * MON-FRI", "At 02:30, on Monday to Friday")]
    [InlineData("0 0 22 ? * SAT,SUN", "At 22:00, on Saturday and Sunday")]
    [InlineData("0 0 3,15 * * ?", "At 03:00 and 15:00, every day")]
    [InlineData("0 */15 * * * ?", "Every 15 minutes, every day")]
    [InlineData("15 0 6 1 * ?", "At 06:00:15, on day 1 of the month")]
    [InlineData("0 0 22 ? * 1#2", "At 22:00, on the second Sunday of the month")]
    [InlineData("0 0 4 L * ?", "At 04:00, on the last day of the month")]
    [InlineData("0 0 22 ? DEC SUN", "At 22:00, on Sunday, in December")]
    [InlineData("0 0 22", "not a cron expression (Quartz wants 6 or 7 fields, got 3)")]
    public void Cron_in_words(string cron, string words) => Assert.Equal(words, CronText.Describe(cron));
}
