using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Wrangler.Core.Auth;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Leases;
using Wrangler.Core.Persistence;
using Wrangler.Core.Tests.Campaigns;
using Wrangler.Dashboard.Auth;
using Wrangler.Dashboard.Components.Pages;
using Wrangler.Dashboard.Model;

namespace Wrangler.Components.Tests;

/// <summary>
/// The campaign page against a real CampaignService on a scratch database and a fleet of hand-built masters:
/// which buttons each role sees, that a hostile reason stays text, and that abort asks first.
/// (Moved here from the browser tests, tests/Dashboard.Tests/Auth/CampaignPageAuthBrowserTests.cs.)
/// </summary>
public sealed class CampaignPageTests : DatabaseTest
{
    private const string Hostile = "<script>window.pwned=1</script><b id=\"injected\">bold</b>";
    private long id;

    public override async Task InitializeAsync()
    {
        UseFleet([FleetBuilder.Master("bm01-tests1-linux32"), FleetBuilder.Master("bm02-tests1-linux32")]);
        var services = Ctx.Services;
        await MigrateAsync();

        // The only instance on its database: it leads, so the page's commands are not refused.
        await services.GetRequiredService<LeaderLease>().StartAsync(CancellationToken.None);

        var created = await services.GetRequiredService<CampaignService>().CreateAsync(
            new CampaignRequest(CampaignKind.GracefulRestart, FleetBuilder.Names("bm01-tests1-linux32"), new CampaignPolicy(), Hostile), "olive", CancellationToken.None);
        id = created.Id;
    }

    private IRenderedComponent<Bunit.Rendering.ContainerFragment> RenderPage(WriteAccess? writes = null) => RenderPage<Campaign>(writes, (nameof(Campaign.Id), id));

    [Fact]
    public void A_viewer_sees_the_campaign_without_action_buttons_and_a_hostile_reason_as_text()
    {
        SignIn("vera-viewer", Roles.Viewer);

        var page = RenderPage();

        page.WaitForAssertion(() => Assert.Contains("graceful restart", page.Find("#campaign-title").TextContent, StringComparison.Ordinal));
        Assert.Empty(page.FindAll("#campaign-actions button, [data-action]"));
        Assert.Equal($"Reason: {Hostile}", page.Find(".wr-reason").TextContent.Trim());
        Assert.Empty(page.FindAll("#injected"));
        Assert.Empty(page.FindAll("script"));
        Assert.Equal("AwaitingApproval", page.Find("#campaign-state [data-state]").GetAttribute("data-state"));
    }

    [Fact]
    public void An_operator_sees_approve_and_abort_and_abort_asks_before_it_acts()
    {
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);

        var page = RenderPage();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("#approve")));
        Assert.Contains("Approve plan", page.Find("#approve").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("#pause"));

        page.Find("#abort").Click();
        page.WaitForAssertion(() => Assert.Contains("Nothing new starts", page.Find("#confirm-message").TextContent, StringComparison.Ordinal));
        page.Find("#confirm-cancel").Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("#confirm-message")));
        Assert.Equal("AwaitingApproval", page.Find("#campaign-state [data-state]").GetAttribute("data-state"));

        page.Find("#abort").Click();
        page.WaitForAssertion(() => page.Find("#confirm-ok").Click());
        page.WaitForAssertion(() => Assert.Equal("Aborted", page.Find("#campaign-state [data-state]").GetAttribute("data-state")));
        Assert.Empty(page.FindAll("#abort"));
        page.WaitForAssertion(() => Assert.Contains($"Campaign #{id}: Aborted", page.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_viewer_who_invokes_the_handler_anyway_is_refused_and_nothing_changes()
    {
        // The button is hidden for a viewer; render as operator, then lose the role before clicking, as a stale circuit would.
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("#approve")));

        Auth.SetPolicies(Roles.Viewer);
        page.Find("#approve").Click();

        page.WaitForAssertion(() => Assert.Equal("Only operators may do this.", page.Find("#action-error").TextContent.Trim()));
        var campaign = await Ctx.Services.GetRequiredService<CampaignService>().GetAsync(id, CancellationToken.None);
        Assert.Equal(CampaignState.AwaitingApproval, campaign!.State);
    }

    [Fact]
    public async Task A_draining_master_shows_its_live_progress_once_in_its_drain_step_in_place_of_the_stored_line()
    {
        SignIn("vera-viewer", Roles.Viewer);
        var service = Ctx.Services.GetRequiredService<CampaignService>();
        await service.CommandAsync(id, CampaignCommand.Approve, "olive", null, CancellationToken.None);
        await using (var db = await Ctx.Services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync())
        {
            // What the runner has written a second ago: the master in its drain, the step's detail the last line.
            var m = await db.CampaignMasters.Include(x => x.Steps).SingleAsync(x => x.CampaignId == id);
            var now = Ctx.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            m.Apply(MasterCommand.Start, now, null);
            m.Steps.Single(s => s.Kind == StepKind.Drain).Apply(StepCommand.Start, now, "draining for 1 min of 2 h; 2 build(s) running");
            await db.SaveChangesAsync();
        }

        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Contains("2 build(s) running", page.Find("[data-step='Drain'] .wr-step-detail").TextContent, StringComparison.Ordinal));

        service.ReportProgress(id, "bm01-tests1-linux32", "draining for 2 min of 2 h; 1 build(s) running");
        Clock.Advance(TimeSpan.FromSeconds(1)); // the page re-renders after its coalescing delay

        page.WaitForAssertion(() => Assert.Equal("draining for 2 min of 2 h; 1 build(s) running", page.Find("[data-step='Drain'] [data-progress='bm01-tests1-linux32']").TextContent));
        Assert.Single(page.FindAll(".wr-step-detail, [data-progress]"));
        Assert.DoesNotContain("2 build(s) running", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void On_a_follower_an_operator_sees_the_campaign_and_plan_buttons_disabled_with_the_reason()
    {
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);

        var page = RenderPage(Follower);

        page.WaitForAssertion(() => Assert.NotNull(page.Find("#approve")));
        Assert.All(page.FindAll("#approve, #abort"), b => Assert.True(b.HasAttribute("disabled"), b.OuterHtml));
        Assert.Equal(FollowerRefusal, page.Find("#approve").GetAttribute("title"));

        var plan = Ctx.Render<CascadingValue<WriteAccess>>(p => p
            .Add(c => c.Value, Follower)
            .AddChildContent<CampaignNew>());
        plan.Find("#names").Input("bm01-tests1-linux32");
        plan.WaitForAssertion(() => Assert.Contains("1 master(s)", plan.Find("#plan-summary").TextContent, StringComparison.Ordinal));
        Assert.True(plan.Find("#create").HasAttribute("disabled"), "a follower may plan, not create");
        Assert.Equal(FollowerRefusal, plan.Find("#create").GetAttribute("title"));
    }

    [Fact]
    public void The_campaigns_list_keeps_a_hostile_reason_as_text_and_offers_a_new_campaign_to_an_operator_on_the_leader_only()
    {
        SignIn("vera-viewer", Roles.Viewer);
        var viewer = RenderPage<Campaigns>();
        viewer.WaitForAssertion(() => Assert.Single(viewer.FindAll("#campaigns tr[data-campaign]")));
        Assert.Equal("awaitingApproval", viewer.Find($"#campaigns tr[data-campaign='{id}']").GetAttribute("data-state"));
        Assert.Equal(Hostile, viewer.Find("#campaigns td.wr-muted bdi").TextContent);
        Assert.Empty(viewer.FindAll("#injected, #campaigns script, #new-campaign"));
        viewer.Dispose();

        SignIn("olive-operator", Roles.Viewer, Roles.Operator);
        var follower = Ctx.Render<CascadingValue<WriteAccess>>(p => p.Add(c => c.Value, Follower).AddChildContent<Campaigns>());
        follower.WaitForAssertion(() => Assert.True(follower.Find("#new-campaign").HasAttribute("disabled")));
        Assert.Equal(FollowerRefusal, follower.Find("#new-campaign").GetAttribute("title"));
    }

    [Fact]
    public void A_viewer_may_look_at_a_plan_but_not_create_it_and_an_operator_may()
    {
        SignIn("vera-viewer", Roles.Viewer);
        var viewer = Ctx.Render<CampaignNew>();
        viewer.Find("#names").Input("bm01-tests1-linux32");
        viewer.WaitForAssertion(() => Assert.Contains("1 master(s)", viewer.Find("#plan-summary").TextContent, StringComparison.Ordinal));
        Assert.NotNull(viewer.Find("#plan-capacity"));
        Assert.NotNull(viewer.Find("#create-not-allowed"));
        Assert.Empty(viewer.FindAll("#create"));

        SignIn("olive-operator", Roles.Viewer, Roles.Operator);
        var op = Ctx.Render<CampaignNew>();
        Assert.True(op.Find("#create").HasAttribute("disabled"), "nothing picked yet, nothing to create");
        op.Find("#names").Input("bm01-tests1-linux32");
        op.WaitForAssertion(() => Assert.False(op.Find("#create").HasAttribute("disabled")));
        Assert.Empty(op.FindAll("#create-not-allowed"));
    }

    [Fact]
    public void A_name_the_fleet_does_not_know_is_marked_at_its_field_until_it_is_taken_out()
    {
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);
        var page = Ctx.Render<CampaignNew>();

        page.Find("#names").Input("bm01-tests1-linux32 bm99-nowhere");
        page.WaitForAssertion(() => Assert.Contains("Not in the fleet: bm99-nowhere", page.Find(".mud-input-control:has(#names) .mud-input-helper-text.mud-input-error").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("bm01-tests1-linux32", page.Find(".mud-input-control:has(#names) .mud-input-helper-text.mud-input-error").TextContent, StringComparison.Ordinal);

        page.Find("#names").Input("bm01-tests1-linux32");
        page.WaitForAssertion(() => Assert.Empty(page.FindAll(".mud-input-control:has(#names) .mud-input-helper-text.mud-input-error")));
    }
}

/// <summary>No upstream is known: the page tests create campaigns by name, which read no tips.</summary>
internal sealed class NoTips : IRepoTips
{
    public Task<IReadOnlyDictionary<(string Repo, string Branch), string>> GetTipsAsync(IReadOnlyCollection<(string Repo, string Branch)> wanted, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<(string Repo, string Branch), string>>(new Dictionary<(string Repo, string Branch), string>());
}
