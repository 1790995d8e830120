using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using static Wrangler.Core.Tests.Campaigns.FleetBuilder;

namespace Wrangler.Core.Tests.Campaigns;

public sealed class CampaignPlannerTests
{
    // The example: a bucket of three and a bucket of one.
    private static readonly MasterState[] ThreePlusOne =
    [
        Master("bm01-tests1-linux"),
        Master("bm02-tests1-linux"),
        Master("bm03-tests1-linux"),
        Master("bm04-build1", MasterRole.Build),
    ];

    private static void AssertNoBucketOverShare(CampaignPlan plan, int perBucket)
    {
        foreach (var wave in plan.Waves)
        {
            Assert.All(wave.GroupBy(n => BucketRules.BucketOf(n, "scl3")), g => Assert.True(g.Count() <= perBucket, $"{g.Key} has {g.Count()} in one wave"));
        }
    }

    [Fact]
    public void Three_plus_one_with_one_per_bucket_is_three_waves_and_the_single_bucket_goes_first()
    {
        var plan = CampaignPlanner.Plan(Request(), ThreePlusOne, NoHistory);

        Assert.Equal(
            [["bm04-build1", "bm01-tests1-linux"], ["bm02-tests1-linux"], ["bm03-tests1-linux"]],
            Waves(plan));
        AssertNoBucketOverShare(plan, 1);
        Assert.Empty(plan.Excluded);
        Assert.Empty(plan.Warnings);
        Assert.Equal(["build1", "tests1-linux"], plan.Buckets.Select(b => b.Bucket));
        Assert.All(plan.Buckets, b => Assert.Equal(1, b.AtATime));
        Assert.Equal([0, 0, 1, 2], plan.Masters.Select(m => m.Wave));
    }

    [Fact]
    public void The_plan_does_not_depend_on_the_order_of_the_fleet()
    {
        var a = CampaignPlanner.Plan(Request(), ThreePlusOne, NoHistory);
        var b = CampaignPlanner.Plan(Request(), [.. Enumerable.Reverse(ThreePlusOne)], NoHistory);
        Assert.Equal(Waves(a), Waves(b));
    }

    [Fact]
    public void Masters_with_fewer_running_builds_go_first_then_by_name()
    {
        MasterState[] fleet =
        [
            Master("bm01-tests1-linux", runningBuilds: 5),
            Master("bm02-tests1-linux", runningBuilds: 0),
            Master("bm03-tests1-linux", runningBuilds: 2),
            Master("bm04-tests1-linux", runningBuilds: 0),
        ];

        var plan = CampaignPlanner.Plan(Request(), fleet, NoHistory);

        Assert.Equal([["bm02-tests1-linux"], ["bm04-tests1-linux"], ["bm03-tests1-linux"], ["bm01-tests1-linux"]], Waves(plan));
        Assert.Equal(["bm02-tests1-linux", "bm04-tests1-linux", "bm03-tests1-linux", "bm01-tests1-linux"], plan.Buckets.Single().Masters.ToArray());
    }

    [Fact]
    public void Two_per_bucket_takes_two_of_the_bucket_of_three_in_the_first_wave()
    {
        var plan = CampaignPlanner.Plan(Request(policy: new CampaignPolicy { PerBucket = 2 }), ThreePlusOne, NoHistory);

        Assert.Equal([["bm04-build1", "bm01-tests1-linux", "bm02-tests1-linux"], ["bm03-tests1-linux"]], Waves(plan));
        AssertNoBucketOverShare(plan, 2);
        Assert.Equal(1, plan.Buckets.Single(b => b.Bucket == "build1").AtATime);
        Assert.Equal(2, plan.Buckets.Single(b => b.Bucket == "tests1-linux").AtATime);
    }

    [Fact]
    public void The_global_cap_splits_a_wave_into_consecutive_waves_in_bucket_order()
    {
        var fleet = Enumerable.Range(1, 5)
            .SelectMany(b => new[] { Master($"bm{b}1-bucket{b}"), Master($"bm{b}2-bucket{b}") })
            .ToArray();

        var plan = CampaignPlanner.Plan(Request(policy: new CampaignPolicy { MaxParallel = 3 }), fleet, NoHistory);

        Assert.Equal(
            [
                ["bm11-bucket1", "bm21-bucket2", "bm31-bucket3"],
                ["bm41-bucket4", "bm51-bucket5"],
                ["bm12-bucket1", "bm22-bucket2", "bm32-bucket3"],
                ["bm42-bucket4", "bm52-bucket5"],
            ],
            Waves(plan));
    }

    [Fact]
    public void A_cap_below_the_bucket_share_wins()
    {
        var plan = CampaignPlanner.Plan(Request(policy: new CampaignPolicy { PerBucket = 2, MaxParallel = 1 }), ThreePlusOne, NoHistory);

        Assert.Equal([["bm04-build1"], ["bm01-tests1-linux"], ["bm02-tests1-linux"], ["bm03-tests1-linux"]], Waves(plan));
        Assert.All(plan.Waves, w => Assert.Single(w));
    }

    private static readonly MasterState[] Mixed =
    [
        Master("bm01-build1", MasterRole.Build, "scl1"),
        Master("bm02-build1", MasterRole.Build, "scl3"),
        Master("bm03-try1", MasterRole.Try, "scl3"),
        Master("bm04-tests1-linux", MasterRole.Tests, "scl3"),
        Master("bm05-tests1-linux", MasterRole.Tests, "aws-us-east-1"),
        Master("bm81-scheduler", MasterRole.Scheduler, "scl3"),
    ];

    private static string[] Selected(Selector selector, CampaignKind kind = CampaignKind.Restart) =>
        [.. CampaignPlanner.Plan(Request(kind, selector), Mixed, NoHistory).Waves.SelectMany(w => w).Order(StringComparer.Ordinal)];

    [Fact]
    public void Selector_lists_are_or_within_and_and_across()
    {
        Assert.Equal(["bm01-build1", "bm02-build1", "bm03-try1"], Selected(new Selector { Roles = [MasterRole.Build, MasterRole.Try] }));
        Assert.Equal(["bm02-build1", "bm03-try1"], Selected(new Selector { Roles = [MasterRole.Build, MasterRole.Try], Datacentres = ["scl3"] }));
        Assert.Equal(["bm02-build1"], Selected(new Selector { Roles = [MasterRole.Build, MasterRole.Try], Datacentres = ["scl3"], Buckets = ["build1"] }));
        Assert.Equal(["bm01-build1", "bm81-scheduler"], Selected(Names("bm01-build1", "bm81-scheduler")));
        Assert.Equal(["bm81-scheduler"], Selected(new Selector { Names = ["bm01-build1", "bm81-scheduler"], Roles = [MasterRole.Scheduler] }));
    }

    [Fact]
    public void Buckets_are_matched_as_bucket_rules_spell_them_cloud_suffix_included()
    {
        Assert.Equal(["bm04-tests1-linux"], Selected(new Selector { Buckets = ["tests1-linux"] }));
        Assert.Equal(["bm05-tests1-linux"], Selected(new Selector { Buckets = ["tests1-linux-aws-us-east-1"] }));
    }

    [Fact]
    public void Names_are_matched_exactly()
    {
        var plan = CampaignPlanner.Plan(Request(selector: Names("bm01", "BM01-build1")), Mixed, NoHistory);

        Assert.Empty(plan.Waves);
        Assert.Contains("not in the inventory: bm01, BM01-build1", plan.Warnings.ToArray());
        Assert.Contains(CampaignPlanner.NoMatchWarning, plan.Warnings.ToArray());
    }

    [Fact]
    public void Names_missing_from_the_fleet_are_named_in_a_warning_and_the_rest_is_planned()
    {
        var plan = CampaignPlanner.Plan(Request(selector: Names("bm01-build1", "bm99-gone", "bm98-gone")), Mixed, NoHistory);

        Assert.Equal([["bm01-build1"]], Waves(plan));
        Assert.Equal(["not in the inventory: bm99-gone, bm98-gone"], plan.Warnings.ToArray());
    }

    [Fact]
    public void Out_of_sync_only_takes_masters_known_to_be_behind()
    {
        MasterState[] fleet =
        [
            Master("bm01-build1", inSync: false),
            Master("bm02-build1", inSync: true),
            Master("bm03-build1", inSync: null),
            Master("bm04-try1", MasterRole.Try, inSync: false),
        ];

        var all = CampaignPlanner.Plan(Request(CampaignKind.Reconfig, new Selector { OutOfSyncOnly = true }), fleet, NoHistory);
        var tries = CampaignPlanner.Plan(Request(CampaignKind.Reconfig, new Selector { OutOfSyncOnly = true, Roles = [MasterRole.Try] }), fleet, NoHistory);

        Assert.Equal([["bm01-build1", "bm04-try1"]], Waves(all));
        Assert.Equal([["bm04-try1"]], Waves(tries));
    }

    [Fact]
    public void An_empty_selector_plans_nothing_and_says_why()
    {
        var plan = CampaignPlanner.Plan(Request(selector: new Selector()), Mixed, NoHistory);

        Assert.Empty(plan.Waves);
        Assert.Empty(plan.Buckets);
        Assert.Empty(plan.Masters);
        Assert.Equal([CampaignPlanner.EmptySelectorWarning], plan.Warnings.ToArray());
        Assert.Equal(TimeSpan.Zero, plan.EstimatedDuration);
    }

    [Fact]
    public void Disabled_and_unreachable_masters_are_excluded_with_their_reasons()
    {
        MasterState[] fleet =
        [
            Master("bm01-build1"),
            Master("bm02-build1", enabled: false),
            Master("bm03-build1", observed: MasterStatus.Unreachable, detail: "ssh: connect to host bm03.example.com port 22: Connection refused"),
            Master("bm04-build1", observed: MasterStatus.Unreachable),
            Master("bm05-build1", observed: MasterStatus.Stopped, detail: "no twistd.pid"),
        ];

        var plan = CampaignPlanner.Plan(Request(), fleet, NoHistory);

        Assert.Equal([["bm01-build1"], ["bm05-build1"]], Waves(plan));
        Assert.Equal(
            [
                "bm02-build1: disabled in the inventory",
                "bm03-build1: unreachable: ssh: connect to host bm03.example.com port 22: Connection refused",
                "bm04-build1: unreachable",
            ],
            plan.Excluded.ToArray());
    }

    [Fact]
    public void A_reconfig_takes_every_selected_master_even_one_believed_at_the_tip_and_only_outOfSyncOnly_leaves_those_out()
    {
        MasterState[] fleet =
        [
            Master("bm01-build1", inSync: true),
            Master("bm02-build1", inSync: false),
            Master("bm03-build1", inSync: null),
        ];

        var reconfig = CampaignPlanner.Plan(Request(CampaignKind.Reconfig), fleet, NoHistory);
        var behind = CampaignPlanner.Plan(Request(CampaignKind.Reconfig, new Selector { OutOfSyncOnly = true }), fleet, NoHistory);

        Assert.Equal(3, reconfig.Waves.Length);
        Assert.Empty(reconfig.Excluded);
        Assert.Equal([["bm02-build1"]], Waves(behind));
    }

    [Fact]
    public void Capacity_loss_is_the_worst_slot_share_of_the_workers_of_the_whole_enabled_bucket()
    {
        MasterState[] fleet =
        [
            Master("bm01-tests1-linux", workers: 10),
            Master("bm02-tests1-linux", workers: 30),
            Master("bm03-tests1-linux", workers: 60),

            // Disabled masters are not serving the pool, so they do not count towards it.
            Master("bm04-tests1-linux", workers: 100, enabled: false),
        ];
        var selector = Names("bm01-tests1-linux", "bm02-tests1-linux");

        var one = CampaignPlanner.Plan(Request(selector: selector), fleet, NoHistory);
        var two = CampaignPlanner.Plan(Request(selector: selector, policy: new CampaignPolicy { PerBucket = 2 }), fleet, NoHistory);

        Assert.Equal(0.3, one.Buckets.Single().WorstCapacityLoss, 9);
        Assert.Equal(0.4, two.Buckets.Single().WorstCapacityLoss, 9);
        Assert.Equal([0.1, 0.3], one.Masters.Select(m => Math.Round(m.CapacityShare, 9)));
    }

    [Fact]
    public void Connected_workers_count_when_none_are_configured_and_an_empty_bucket_loses_nothing()
    {
        MasterState[] fleet =
        [
            Master("bm01-tests1-linux", workers: 0, connected: 5),
            Master("bm02-tests1-linux", workers: 15),
            Master("bm03-try1", MasterRole.Try, workers: 0),
            Master("bm04-try1", MasterRole.Try, workers: 0),
        ];

        var plan = CampaignPlanner.Plan(Request(), fleet, NoHistory);

        Assert.Equal(0.75, plan.Buckets.Single(b => b.Bucket == "tests1-linux").WorstCapacityLoss, 9);
        Assert.Equal(0, plan.Buckets.Single(b => b.Bucket == "try1").WorstCapacityLoss);
    }

    [Fact]
    public void Durations_come_from_history_when_there_is_some_and_sum_the_slowest_of_each_wave()
    {
        var history = new Dictionary<(string Master, CampaignKind Kind), TimeSpan>
        {
            [("bm01-tests1-linux", CampaignKind.GracefulRestart)] = TimeSpan.FromMinutes(90),
            [("bm02-tests1-linux", CampaignKind.GracefulRestart)] = TimeSpan.FromMinutes(20),

            // Another kind's history says nothing about this one.
            [("bm03-tests1-linux", CampaignKind.Restart)] = TimeSpan.FromMinutes(1),
        };

        var plan = CampaignPlanner.Plan(Request(), ThreePlusOne, history);

        // Waves: [bm04 (45 default), bm01 (90)], [bm02 (20)], [bm03 (45 default)].
        Assert.Equal(TimeSpan.FromMinutes(90 + 20 + 45), plan.EstimatedDuration);
        Assert.Equal(TimeSpan.FromMinutes(90 + 20 + 45), plan.Buckets.Single(b => b.Bucket == "tests1-linux").EstimatedDuration);
        Assert.Equal(TimeSpan.FromMinutes(45), plan.Buckets.Single(b => b.Bucket == "build1").EstimatedDuration);
        Assert.Equal([false, true, true, false], plan.Masters.Select(m => m.EstimateFromHistory));
    }

    [Fact]
    public void A_bucket_slot_lasts_as_long_as_its_slowest_master()
    {
        var history = new Dictionary<(string Master, CampaignKind Kind), TimeSpan>
        {
            [("bm01-tests1-linux", CampaignKind.GracefulRestart)] = TimeSpan.FromMinutes(90),
            [("bm02-tests1-linux", CampaignKind.GracefulRestart)] = TimeSpan.FromMinutes(20),
            [("bm03-tests1-linux", CampaignKind.GracefulRestart)] = TimeSpan.FromMinutes(30),
        };

        var plan = CampaignPlanner.Plan(Request(policy: new CampaignPolicy { PerBucket = 2 }), ThreePlusOne, history);

        Assert.Equal(TimeSpan.FromMinutes(90 + 30), plan.Buckets.Single(b => b.Bucket == "tests1-linux").EstimatedDuration);
        Assert.Equal(TimeSpan.FromMinutes(90 + 30), plan.EstimatedDuration);
    }

    [Theory]
    [InlineData(CampaignKind.GracefulRestart, MasterRole.Tests, 45)]
    [InlineData(CampaignKind.GracefulRestart, MasterRole.Scheduler, 2)]
    [InlineData(CampaignKind.Restart, MasterRole.Build, 2)]
    [InlineData(CampaignKind.Reboot, MasterRole.Try, 55)]
    [InlineData(CampaignKind.Reboot, MasterRole.Scheduler, 10)]
    [InlineData(CampaignKind.Reconfig, MasterRole.Scheduler, 1)]
    public void Default_durations_without_history(CampaignKind kind, MasterRole role, int minutes)
    {
        var plan = CampaignPlanner.Plan(Request(kind), [Master("bm01-x", role, inSync: false)], NoHistory);

        Assert.Equal(TimeSpan.FromMinutes(minutes), plan.EstimatedDuration);
        Assert.Equal(TimeSpan.FromMinutes(minutes), CampaignPlanner.DefaultDuration(kind, role));
    }

    [Fact]
    public void A_graceful_restart_warns_that_scheduler_masters_are_not_drained()
    {
        MasterState[] fleet = [Master("bm01-build1", MasterRole.Build), Master("bm81-scheduler", MasterRole.Scheduler)];

        var graceful = CampaignPlanner.Plan(Request(), fleet, NoHistory);
        var hard = CampaignPlanner.Plan(Request(CampaignKind.Restart), fleet, NoHistory);
        var buildsOnly = CampaignPlanner.Plan(Request(selector: new Selector { Roles = [MasterRole.Build] }), fleet, NoHistory);

        Assert.Equal([CampaignPlanner.SchedulersWithoutDrainWarning], graceful.Warnings.ToArray());
        Assert.Equal(["bm81-scheduler"], graceful.Buckets.Single(b => b.Bucket == "scheduler").WithoutDrain.ToArray());
        Assert.Empty(graceful.Buckets.Single(b => b.Bucket == "build1").WithoutDrain);
        Assert.Equal([true, false], graceful.Masters.Select(m => m.Drains));
        Assert.Empty(hard.Warnings);
        Assert.Empty(buildsOnly.Warnings);
    }

    [Fact]
    public void An_invalid_policy_lists_every_problem_and_plan_refuses_it()
    {
        var request = Request(policy: new CampaignPolicy { PerBucket = 0, MaxParallel = -1, DrainTimeout = TimeSpan.Zero, FailureThreshold = 0 });

        var problems = CampaignPlanner.Validate(request);
        var thrown = Assert.Throws<ArgumentException>(() => CampaignPlanner.Plan(request, ThreePlusOne, NoHistory));

        Assert.Equal(
            [
                "perBucket must be at least 1 (was 0)",
                "maxParallel must be at least 1 (was -1)",
                "drainTimeout must be longer than zero (was 00:00:00)",
                "failureThreshold must be at least 1 (was 0)",
            ],
            problems);
        Assert.All(problems, p => Assert.Contains(p, thrown.Message));
    }

    [Fact]
    public void Values_outside_the_enums_and_missing_parts_are_problems_too()
    {
        var request = new CampaignRequest((CampaignKind)42, null!, new CampaignPolicy { Approval = (ApprovalMode)7 });

        Assert.Equal(
            ["kind 42 is not one of gracefulRestart, restart, reboot, reconfig", "selector is required", "approval 7 is not one of plan, wave, none"],
            CampaignPlanner.Validate(request));
        Assert.Equal(["policy is required"], CampaignPlanner.Validate(new CampaignRequest(CampaignKind.Restart, new Selector(), null!)));
    }

    [Fact]
    public void The_default_policy_is_valid()
    {
        Assert.Empty(CampaignPlanner.Validate(Request()));
    }

    [Fact]
    public void Lists_a_serializer_left_default_count_as_empty()
    {
        var selector = new Selector { Names = default, Roles = default, Buckets = default, Datacentres = default, OutOfSyncOnly = true };
        var request = Request(CampaignKind.Reconfig, selector);

        Assert.Empty(CampaignPlanner.Validate(request));
        Assert.Equal([["bm02-build1"]], Waves(CampaignPlanner.Plan(request, [Master("bm01-build1"), Master("bm02-build1", inSync: false)], NoHistory)));
    }
}
