using System.Collections.Immutable;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Dashboard.Components.Controls;

namespace Wrangler.Components.Tests;

/// <summary>The small controls every page uses: what each state looks like, and that nothing typed becomes markup.</summary>
public sealed class ControlsTests : ComponentTest
{
    [Theory]
    [InlineData(MasterStatus.Running, "running", "success")]
    [InlineData(MasterStatus.Draining, "draining", "info")]
    [InlineData(MasterStatus.Starting, "starting", "info")]
    [InlineData(MasterStatus.Reconfiguring, "reconfiguring", "info")]
    [InlineData(MasterStatus.Stopped, "stopped", "warning")]
    [InlineData(MasterStatus.Unreachable, "unreachable", "error")]
    [InlineData(MasterStatus.Disabled, "disabled", "default")]
    public void A_master_state_chip_has_its_label_its_colour_and_an_icon(MasterStatus status, string label, string colour)
    {
        var chip = Ctx.Render<StatePill>(p => p.Add(x => x.Status, status).Add(x => x.Detail, "why")).Find(".wr-pill");

        Assert.Equal(label, chip.GetAttribute("data-state"));
        Assert.Equal("why", chip.GetAttribute("title"));
        Assert.Contains(label, chip.TextContent, StringComparison.Ordinal);
        Assert.Contains($"mud-chip-color-{colour}", chip.ClassList);
        Assert.NotNull(chip.QuerySelector("svg.mud-chip-icon, svg"));
    }

    [Fact]
    public void Every_master_state_has_its_own_icon_so_colour_is_never_the_only_difference()
    {
        var icons = Enum.GetValues<MasterStatus>()
            .Select(s => Ctx.Render<StatePill>(p => p.Add(x => x.Status, s)).Find("svg").InnerHtml)
            .ToList();

        Assert.Equal(icons.Count, icons.Distinct().Count());
    }

    [Theory]
    [InlineData(CampaignState.AwaitingApproval, "awaiting approval", "warning")]
    [InlineData(CampaignState.Running, "running", "info")]
    [InlineData(CampaignState.Paused, "paused", "warning")]
    [InlineData(CampaignState.Succeeded, "succeeded", "success")]
    [InlineData(CampaignState.Failed, "failed", "error")]
    [InlineData(CampaignState.Parked, "parked", "error")]
    [InlineData(CampaignState.Aborted, "aborted", "default")]
    public void A_campaign_state_chip_has_its_label_and_colour(CampaignState state, string label, string colour)
    {
        var chip = Ctx.Render<CampaignStatePill>(p => p.Add(x => x.State, state)).Find(".wr-pill");

        Assert.Equal(state.ToString(), chip.GetAttribute("data-state"));
        Assert.Contains(label, chip.TextContent, StringComparison.Ordinal);
        Assert.Contains($"mud-chip-color-{colour}", chip.ClassList);
    }

    [Fact]
    public void A_refused_inventory_shows_every_problem_as_text_and_the_demo_banner_says_demo()
    {
        const string hostile = "<img src=x onerror=alert(1) id=\"injected\">";
        var status = new InventoryStatus("/etc/wrangler/inv.json", true, 3, T0, [new InventoryProblem(1, hostile, "name", "duplicate name")], "2 problems", T0);

        var banner = Ctx.Render<InventoryBanner>(p => p.Add(x => x.Status, status));

        Assert.Contains("DEMO", banner.Find("#demo-banner").TextContent, StringComparison.Ordinal);
        Assert.Contains(hostile, banner.Find("#inventory-error").TextContent, StringComparison.Ordinal);
        Assert.Empty(banner.FindAll("#injected"));
    }

    [Fact]
    public void The_fleet_strip_draws_unreachable_up_and_behind_down_scaled_to_the_most_at_once()
    {
        var slots = Enumerable.Range(0, 96)
            .Select(i => new FleetSlot(T0.AddMinutes(15 * i), T0.AddMinutes(15 * (i + 1)), i == 10 ? 4 : i == 11 ? 2 : 0, i >= 90 ? 3 : 0))
            .ToList();

        var strip = Ctx.Render<FleetStrip>(p => p.Add(x => x.Slots, slots));

        Assert.Equal(96, strip.FindAll("g[data-slot]").Count);
        Assert.Equal("4", strip.Find("g[data-slot='10']").GetAttribute("data-unreachable"));
        Assert.Equal(2, strip.FindAll(".wr-strip-bad").Count);
        Assert.Equal(6, strip.FindAll(".wr-strip-warn").Count);
        var tallest = strip.Find("g[data-slot='10'] .wr-strip-bad");
        var half = strip.Find("g[data-slot='11'] .wr-strip-bad");
        Assert.Equal(double.Parse(tallest.GetAttribute("height")!, System.Globalization.CultureInfo.InvariantCulture) / 2,
            double.Parse(half.GetAttribute("height")!, System.Globalization.CultureInfo.InvariantCulture), 2);
        Assert.Contains("at most 4 masters unreachable and 3 behind", strip.Find("#fleet-strip").GetAttribute("aria-label"), StringComparison.Ordinal);
        Assert.Contains("02:15–02:30 UTC: 0 unreachable, 0 behind", strip.Find("g[data-slot='1'] title").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_capacity_chart_shows_each_buckets_worst_share_and_fills_while_its_masters_are_down()
    {
        var plan = new CampaignPlan(new CampaignRequest(CampaignKind.GracefulRestart, new Selector(), new CampaignPolicy()), [], [], [], [], TimeSpan.FromMinutes(60))
        {
            Masters =
            [
                new PlannedMaster("bm01", "tests1-linux32", MasterRole.Tests, 0, .5, TimeSpan.FromMinutes(30), false, true, 0),
                new PlannedMaster("bm05", "try1", MasterRole.Try, 0, .25, TimeSpan.FromMinutes(20), false, true, 0),
                new PlannedMaster("bm02", "tests1-linux32", MasterRole.Tests, 1, .5, TimeSpan.FromMinutes(30), false, true, 0),
            ],
        };

        var chart = Ctx.Render<CapacityChart>(p => p.Add(x => x.Plan, plan));

        Assert.Equal("0.5", chart.Find("[data-capacity-bucket='tests1-linux32']").GetAttribute("data-worst"));
        Assert.Equal("0.25", chart.Find("[data-capacity-bucket='try1']").GetAttribute("data-worst"));
        // Two windows of 30 minutes back to back fill the whole hour; try1's 20 minutes a third of it.
        Assert.Equal(2, chart.FindAll("[data-capacity-bucket='tests1-linux32'] rect.wr-cap-bad").Count);
        Assert.Equal("333.33", chart.Find("[data-capacity-bucket='try1'] rect.wr-cap-warn").GetAttribute("width"));
    }

    [Fact]
    public void The_timeline_draws_each_started_step_in_its_state_and_the_drain_timeout_of_a_drain_still_going()
    {
        var drainTimeout = TimeSpan.FromMinutes(30);
        StepView Step(StepKind kind, StepState state, int from, int? to) =>
            new(0, 0, kind, state, T0.AddMinutes(from), to is { } t ? T0.AddMinutes(t) : null, null);
        var draining = new CampaignMasterView(1, "bm01-tests1-linux32", "tests1-linux32", 0, MasterRunState.Running, null, T0, null, null,
            [Step(StepKind.PreCheck, StepState.Succeeded, 0, 1), Step(StepKind.Drain, StepState.Running, 1, null), new StepView(0, 0, StepKind.Start, StepState.Pending, null, null, null)]);
        var failed = new CampaignMasterView(2, "bm05-try1", "try1", 0, MasterRunState.Failed, "checkconfig failed", T0, T0.AddMinutes(5), null,
            [Step(StepKind.PreCheck, StepState.Succeeded, 0, 1), Step(StepKind.CheckConfig, StepState.Failed, 1, 5)]);
        var waiting = new CampaignMasterView(3, "bm02-tests1-linux32", "tests1-linux32", 1, MasterRunState.Pending, null, null, null, null, []);
        var request = new CampaignRequest(CampaignKind.GracefulRestart, new Selector(), new CampaignPolicy { DrainTimeout = drainTimeout });
        var campaign = new CampaignView(7, CampaignKind.GracefulRestart, CampaignState.Running, null, "olive", T0, "olive", T0, 1, T0, null, null, request,
            new CampaignPlan(request, [], [], [], [], TimeSpan.FromHours(1)), [draining, failed, waiting]);
        Clock.SetUtcNow(T0.AddMinutes(10));

        var tl = Ctx.Render<CampaignTimeline>(p => p.Add(x => x.Campaign, campaign).Add(x => x.Now, Clock.GetUtcNow()));

        Assert.Equal(["tests1-linux32", "try1"], tl.FindAll("[data-lane]").Select(l => l.GetAttribute("data-lane")));
        var row = tl.Find("[data-timeline-master='bm01-tests1-linux32']");
        Assert.Equal(["PreCheck", "Drain"], row.QuerySelectorAll("rect[data-step]").Select(r => r.GetAttribute("data-step")));
        Assert.Contains("wr-tl-running", row.QuerySelector("rect[data-step='Drain']")!.ClassList);
        // The window runs to the drain's deadline (31 minutes after the start), so the deadline is the right edge.
        Assert.Equal("1000", tl.Find("[data-drain-timeout='bm01-tests1-linux32']").GetAttribute("x1"));
        Assert.Contains("wr-tl-failed", tl.Find("[data-timeline-master='bm05-try1'] rect[data-step='CheckConfig']").ClassList);
        Assert.Empty(tl.FindAll("[data-drain-timeout='bm05-try1']"));
        Assert.Empty(tl.FindAll("[data-timeline-master='bm02-tests1-linux32'] rect"));
        Assert.Equal("bm02-tests1-linux32: not started", tl.Find("[data-timeline-master='bm02-tests1-linux32'] svg").GetAttribute("aria-label"));
    }
}
