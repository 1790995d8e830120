using Microsoft.Extensions.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Wrangler.Core;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Leases;
using Wrangler.Core.Persistence;
using Wrangler.Core.Sync;
using Wrangler.Core.Tests.Campaigns;
using Wrangler.Dashboard.Components.Pages;

namespace Wrangler.Components.Tests;

/// <summary>
/// The fleet page's grid against a hand-built fleet: grouped by role then bucket, one row per master carrying its
/// state where scripts read it, disabled rows told apart, user text as text, and rows virtualised only for a big fleet.
/// </summary>
public sealed class FleetPageTests : DatabaseTest
{
    private const string Hostile = "<img src=x onerror=alert(1) id=\"injected\">ssh: connection refused";

    [Fact]
    public async Task The_grid_groups_by_role_then_bucket_with_one_row_per_master_and_keeps_a_hostile_detail_as_text()
    {
        UseFleet(
        [
            FleetBuilder.Master("bm70-build1", MasterRole.Build, runningBuilds: 3),
            FleetBuilder.Master("bm01-tests1-linux32", observed: MasterStatus.Stopped, detail: Hostile),
            FleetBuilder.Master("bm02-tests1-linux32", inSync: false),
            FleetBuilder.Master("bm03-tests1-windows", enabled: false),
        ]);
        await MigrateAsync();

        var page = RenderPage<Fleet>();

        page.WaitForAssertion(() => Assert.Equal(4, page.FindAll("tr.wr-row").Count));
        Assert.Equal(["build", "tests"], page.FindAll("[data-role]").Select(e => e.GetAttribute("data-role")));
        Assert.Contains("Test masters", page.Find("[data-role='tests']").TextContent, StringComparison.Ordinal);
        Assert.Equal(["build1", "tests1-linux32", "tests1-windows"], page.FindAll("[data-bucket]").Select(e => e.GetAttribute("data-bucket")));

        var stopped = page.Find(".wr-row-key[data-master='bm01-tests1-linux32']");
        Assert.Equal("stopped", stopped.GetAttribute("data-state"));
        var stoppedRow = stopped.Closest("tr")!;
        Assert.Contains("wr-row", stoppedRow.ClassList);
        Assert.Equal(Hostile, stoppedRow.QuerySelector(".wr-detail bdi")!.TextContent);
        Assert.Empty(page.FindAll("#injected"));

        Assert.Equal("false", page.Find(".wr-row-key[data-master='bm02-tests1-linux32']").GetAttribute("data-in-sync"));
        Assert.Equal("3", page.Find(".wr-row-key[data-master='bm70-build1']").GetAttribute("data-builds"));
        Assert.Contains("wr-disabled", page.Find(".wr-row-key[data-master='bm03-tests1-windows']").Closest("tr")!.ClassList);
        Assert.Equal("bm70-build1", page.Find("a.wr-master-link[href='masters/bm70-build1'] bdi").TextContent);
    }

    [Fact]
    public async Task Filtering_by_state_leaves_only_those_rows_and_says_how_many_of_all()
    {
        UseFleet([.. Enumerable.Range(1, 6).Select(i => FleetBuilder.Master($"bm{i:00}-tests1-linux32", observed: i <= 2 ? MasterStatus.Unreachable : MasterStatus.Running))]);
        await MigrateAsync();
        var page = RenderPage<Fleet>();
        page.WaitForAssertion(() => Assert.Equal(6, page.FindAll("tr.wr-row").Count));

        page.Find("button[data-stat='unreachable']").Click();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tr.wr-row").Count));
        Assert.All(page.FindAll(".wr-row-key"), k => Assert.Equal("unreachable", k.GetAttribute("data-state")));
        Assert.Contains("showing 2 of 6", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_fleet_is_labelled_shows_every_master_and_filters_by_bucket_text()
    {
        // Moved here from the browser tests (tests/Dashboard.Tests/Fleet/DemoFleetPageTests.cs); that file keeps the API's half.
        string[] names = ["bm01-tests1-linux32", "bm02-tests1-linux32", "bm03-tests1-linux64", "bm04-tests1-windows", "bm70-build1", "bm80-try1"];
        UseFleet([.. names.Select(n => FleetBuilder.Master(n, n.Contains("build", StringComparison.Ordinal) ? MasterRole.Build : n.Contains("try", StringComparison.Ordinal) ? MasterRole.Try : MasterRole.Tests))], demo: true);
        await MigrateAsync();
        var page = RenderPage<Fleet>();

        page.WaitForAssertion(() => Assert.Equal(names.Length, page.FindAll("tr.wr-row").Count));
        Assert.Contains("DEMO", page.Find("#demo-banner").TextContent, StringComparison.Ordinal);

        page.Find("#fleet-search").Input("linux");

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("tr.wr-row").Count));
        Assert.All(page.FindAll(".wr-row-key"), k => Assert.Contains("linux", k.GetAttribute("data-master"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fleet_above_the_threshold_renders_only_the_rows_in_view()
    {
        var count = Fleet.VirtualiseAbove * 3;
        UseFleet([.. Enumerable.Range(1, count).Select(i => FleetBuilder.Master($"bm{i:0000}-tests1-linux32"))]);
        await MigrateAsync();

        var page = RenderPage<Fleet>();

        page.WaitForAssertion(() => Assert.Contains($"{count} masters", page.Markup, StringComparison.Ordinal));
        // Blazor's virtualiser starts with a screenful or so plus overscan; without it all of them would be here.
        Assert.InRange(page.FindAll("tr.wr-row").Count, 1, count / 2);
    }
}
