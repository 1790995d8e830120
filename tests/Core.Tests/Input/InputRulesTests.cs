using Wrangler.Core.Campaigns;
using Wrangler.Core.Input;
using Wrangler.Core.Scheduling;

namespace Wrangler.Core.Tests.Input;

public sealed class InputRulesTests
{
    [Theory]
    [InlineData("alice")]
    [InlineData("Zoë Ångström")]
    [InlineData("release-runner 2")]
    [InlineData("שלום")]
    public void Ordinary_names_pass(string name) => Assert.Null(InputRules.NameProblem("name", name));

    [Theory]
    [InlineData("\u202enimda", "U+202E at position 1")]
    [InlineData("ad\u200bmin", "U+200B at position 3")]
    [InlineData("admin\u2066", "U+2066 at position 6")]
    [InlineData("ad\0min", "U+0000 at position 3")]
    [InlineData("tab\there", "U+0009 at position 4")]
    public void Control_and_format_characters_in_names_are_refused_with_where(string name, string where)
    {
        var problem = InputRules.NameProblem("name", name);
        Assert.NotNull(problem);
        Assert.StartsWith("name must not contain control or invisible formatting characters", problem);
        Assert.Contains(where, problem);
    }

    [Fact]
    public void Names_are_required_and_bounded()
    {
        Assert.Equal("name is required", InputRules.NameProblem("name", null));
        Assert.Equal("name is required", InputRules.NameProblem("name", "   "));
        Assert.Equal("name must be at most 100 characters (was 101)", InputRules.NameProblem("name", new string('a', 101)));
        Assert.Null(InputRules.NameProblem("name", new string('a', 100)));
    }

    [Fact]
    public void Reasons_are_bounded_and_free_of_control_characters_and_overrides()
    {
        Assert.Null(InputRules.ReasonProblem("reason", null));
        Assert.Equal("reason is required", InputRules.ReasonProblem("reason", " ", required: true));
        Assert.Null(InputRules.ReasonProblem("reason", new string('r', 500)));
        Assert.Equal("reason must be at most 500 characters (was 1000000)", InputRules.ReasonProblem("reason", new string('r', 1_000_000)));
        Assert.Contains("U+0000", InputRules.ReasonProblem("reason", "kernel\0update"));
        Assert.Contains("U+001B", InputRules.ReasonProblem("reason", "\u001b[31mred"));
        Assert.Contains("U+202E", InputRules.ReasonProblem("reason", "fix \u202eevil"));
        // Prose in a right-to-left language with its marks is a reason like any other.
        Assert.Null(InputRules.ReasonProblem("reason", "עדכון ליבה \u200f(kernel)"));
    }

    [Fact]
    public void Passwords_have_a_floor_and_a_ceiling()
    {
        Assert.Equal("password is required", InputRules.PasswordProblem("password", null));
        Assert.Equal("password must have at least 12 characters", InputRules.PasswordProblem("password", "short"));
        Assert.Null(InputRules.PasswordProblem("password", new string('p', 256)));
        Assert.Equal("password must be at most 256 characters (was 1048576)", InputRules.PasswordProblem("password", new string('p', 1 << 20)));
    }

    [Fact]
    public void Name_keys_ignore_case_width_and_surrounding_space()
    {
        Assert.Equal(InputRules.NameKey("admin"), InputRules.NameKey("ADMIN"));
        Assert.Equal(InputRules.NameKey("admin"), InputRules.NameKey(" Admin "));
        Assert.Equal(InputRules.NameKey("admin"), InputRules.NameKey("ａｄｍｉｎ"));
        Assert.NotEqual(InputRules.NameKey("admin"), InputRules.NameKey("admins"));
    }

    [Fact]
    public void Policy_numbers_beyond_a_fleet_are_refused_with_the_rule()
    {
        var request = new CampaignRequest(CampaignKind.Restart, new Selector { Names = ["m1"] },
            new CampaignPolicy { PerBucket = int.MaxValue, MaxParallel = 1001, FailureThreshold = 5000, DrainTimeout = TimeSpan.MaxValue }, new string('x', 501));
        var problems = CampaignPlanner.Validate(request.Normalized());
        Assert.Contains("perBucket must be at most 1000 (was 2147483647)", problems);
        Assert.Contains("maxParallel must be at most 1000 (was 1001)", problems);
        Assert.Contains("failureThreshold must be at most 1000 (was 5000)", problems);
        Assert.Contains(problems, p => p.StartsWith("drainTimeout must be at most 7.00:00:00", StringComparison.Ordinal));
        Assert.Contains("reason must be at most 500 characters (was 501)", problems);
    }

    [Fact]
    public void The_default_policy_and_the_bounds_themselves_pass()
    {
        var request = new CampaignRequest(CampaignKind.Restart, new Selector { Names = ["m1"] },
            new CampaignPolicy { PerBucket = 1000, MaxParallel = 1000, FailureThreshold = 1000, DrainTimeout = CampaignLimits.MaxDrainTimeout }, "kernel update");
        Assert.Empty(CampaignPlanner.Validate(request.Normalized()));
        Assert.Empty(CampaignPlanner.Validate(new CampaignRequest(CampaignKind.Restart, new Selector { Names = ["m1"] }, new CampaignPolicy()).Normalized()));
    }

    [Theory]
    [InlineData("* * * * * ?", "00:00:01")]
    [InlineData("0 * * * * ?", "00:01:00")]
    [InlineData("0 0/2 * * * ?", "00:02:00")]
    [InlineData("5,9 0 3 * * ?", "00:00:04")]
    public void Schedules_firing_closer_than_the_minimum_interval_are_refused(string cron, string gap)
    {
        var problem = ScheduleRules.IntervalProblem(cron, "UTC", ScheduleRules.DefaultMinInterval);
        Assert.Equal($"cron \"{cron}\" fires {gap} apart; schedules may fire at most once every 00:05:00 (Wrangler:Scheduling:MinInterval)", problem);
    }

    [Theory]
    [InlineData("0 0/5 * * * ?")]
    [InlineData("0 0 22 ? * SUN")]
    [InlineData("0 0 3,15 * * ?")]
    public void Schedules_at_or_above_the_minimum_interval_pass(string cron) =>
        Assert.Null(ScheduleRules.IntervalProblem(cron, "UTC", ScheduleRules.DefaultMinInterval));

    [Fact]
    public void A_schedule_spec_reports_its_name_reason_and_interval_problems()
    {
        var spec = new ScheduleSpec("\u202enimda", CampaignKind.Restart, new Selector { Names = ["m1"] }, null, "* * * * * ?", "UTC", TimeSpan.FromHours(1), Reason: "a\0b");
        var problems = ScheduleRules.Validate(spec);
        Assert.Contains(problems, p => p.StartsWith("name must not contain control or invisible formatting characters", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("reason must not contain control characters", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("schedules may fire at most once every", StringComparison.Ordinal));
        // A lab that fires seconds apart sets a smaller minimum.
        Assert.DoesNotContain(ScheduleRules.Validate(spec, TimeSpan.FromSeconds(1)), p => p.Contains("at most once every", StringComparison.Ordinal));
    }

    [Fact]
    public void Reveal_writes_out_what_would_reorder_or_hide()
    {
        Assert.Equal("[U+202E]nimda", InputRules.Reveal("\u202enimda"));
        Assert.Equal("a[U+0000]b[U+0009]", InputRules.Reveal("a\0b\t"));
        Assert.Equal("line\nnext\t[U+200B]", InputRules.Reveal("line\nnext\t\u200b", keepLineBreaks: true));
        Assert.Equal("שלום admin", InputRules.Reveal("שלום admin"));
    }
}
