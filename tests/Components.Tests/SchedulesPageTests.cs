using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Auth;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Integrations;
using Wrangler.Core.Leases;
using Wrangler.Core.Scheduling;
using Wrangler.Core.Tests.Campaigns;
using Wrangler.Dashboard.Auth;
using Wrangler.Dashboard.Components.Pages;

namespace Wrangler.Components.Tests;

/// <summary>
/// The schedules page against the real schedule service on a scratch database: which buttons each role sees, a
/// hostile schedule name kept as text, and on a follower every change disabled with the reason.
/// (The viewer's case moved here from the browser tests, tests/Dashboard.Tests/Schedules/ScheduleBrowserTests.cs.)
/// </summary>
public sealed class SchedulesPageTests : DatabaseTest
{
    private const string Hostile = "<script>window.pwned=1</script><b id=\"injected\">tests sunday</b>";
    private const string ChangeButtons = "#new-schedule, .wr-run-now, .wr-toggle, .wr-edit, #add-date";

    public override async Task InitializeAsync()
    {
        UseFleet([FleetBuilder.Master("bm70-build1", MasterRole.Build), FleetBuilder.Master("bm01-tests1-linux32")]);
        Ctx.Services.AddSingleton<INotifier, NoNotifier>();
        Ctx.Services.AddOptions<SchedulingOptions>();
        Ctx.Services.AddSingleton<ScheduleService>();
        await MigrateAsync();
        await Ctx.Services.GetRequiredService<LeaderLease>().StartAsync(CancellationToken.None);

        var schedules = Ctx.Services.GetRequiredService<ScheduleService>();
        await schedules.CreateAsync(
            new ScheduleSpec(Hostile, CampaignKind.GracefulRestart, new Selector { Roles = [MasterRole.Build] }, null, "0 0 22 ? * SUN", "UTC", TimeSpan.FromHours(1)),
            "olive", CancellationToken.None);
        await schedules.AddExcludedDateAsync(new DateOnly(2026, 12, 25), "holiday", "olive", CancellationToken.None);
    }

    [Fact]
    public void A_viewer_sees_schedules_without_any_button_to_change_them_and_a_hostile_name_as_text()
    {
        SignIn("vera-viewer", Roles.Viewer);

        var page = RenderPage<Schedules>();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("#schedules tr[data-schedule]")));
        Assert.Empty(page.FindAll(ChangeButtons));
        Assert.Empty(page.FindAll("#excluded-dates button"));
        Assert.Equal(Hostile, page.Find("#schedules .wr-schedule-name bdi").TextContent);
        Assert.Empty(page.FindAll("#injected"));
        Assert.Empty(page.FindAll("#schedules script"));
        Assert.Contains("At 22:00, on Sunday", page.Find("#schedules .wr-cron-words").TextContent, StringComparison.Ordinal);
        Assert.Equal(3, page.FindAll("#schedules .wr-fire-times li").Count);
    }

    [Fact]
    public void An_operator_on_the_leader_has_every_change_button_enabled()
    {
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);

        var page = RenderPage<Schedules>();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("#schedules tr[data-schedule]")));
        var buttons = page.FindAll($"{ChangeButtons}, #excluded-dates button");
        Assert.Equal(6, buttons.Count); // new, run now, disable, edit, exclude, and the excluded date's remove
        Assert.All(buttons, b => Assert.False(b.HasAttribute("disabled"), b.OuterHtml));
        Assert.Equal("Disable", page.Find(".wr-toggle").TextContent.Trim());
    }

    [Fact]
    public void On_a_follower_an_operator_sees_every_change_disabled_with_the_reason()
    {
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);

        var page = RenderPage<Schedules>(Follower);

        page.WaitForAssertion(() => Assert.Single(page.FindAll("#schedules tr[data-schedule]")));
        var buttons = page.FindAll($"{ChangeButtons}, #excluded-dates button");
        Assert.Equal(6, buttons.Count);
        Assert.All(buttons, b =>
        {
            Assert.True(b.HasAttribute("disabled"), b.OuterHtml);
            Assert.Equal(FollowerRefusal, b.GetAttribute("title"));
        });
    }
}
