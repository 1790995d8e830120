using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Auth;
using Wrangler.Core.Leases;
using Wrangler.Core.Sync;
using Wrangler.Core.Tests.Campaigns;
using Wrangler.Dashboard.Auth;
using Wrangler.Dashboard.Components.Pages;

namespace Wrangler.Components.Tests;

/// <summary>
/// The production page's freeze against the real freeze service on a scratch database: no switch for a viewer, an
/// operator freezes with a reason (kept as text) and lifts, and a follower's switch is disabled with the reason.
/// (Freezing on the lab, with the banner following on every page: tests/Dashboard.Tests/Sync/SyncBrowserTests.cs.)
/// </summary>
public sealed class ProductionPageTests : DatabaseTest
{
    private const string Hostile = "<b id=\"injected\">release 142</b> in progress";

    public override async Task InitializeAsync()
    {
        UseFleet([FleetBuilder.Master("bm01-tests1-linux32")]);
        await MigrateAsync();
        await Ctx.Services.GetRequiredService<LeaderLease>().StartAsync(CancellationToken.None);
    }

    [Fact]
    public void A_viewer_reads_the_freeze_state_without_a_switch()
    {
        SignIn("vera-viewer", Roles.Viewer);

        var page = RenderPage<Production>();

        page.WaitForAssertion(() => Assert.Contains("Not frozen", page.Find("#freeze").TextContent, StringComparison.Ordinal));
        Assert.Empty(page.FindAll("#freeze-set, #freeze-lift, #freeze-reason-input"));
    }

    [Fact]
    public async Task An_operator_freezes_with_a_reason_kept_as_text_and_lifts_it()
    {
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);
        var page = RenderPage<Production>();
        await page.WaitForAssertionAsync(() => Assert.False(page.Find("#freeze-set").HasAttribute("disabled")));

        // A freeze says why: refused without a reason, and nothing is frozen.
        await page.Find("#freeze-set").ClickAsync(new MouseEventArgs());
        await page.WaitForAssertionAsync(() => Assert.NotEmpty(page.Find("#freeze-error").TextContent.Trim()));
        Assert.Null(Ctx.Services.GetRequiredService<FreezeService>().Current);

        await page.Find("#freeze-reason-input").InputAsync(new() { Value = Hostile });
        await page.Find("#freeze-set").ClickAsync(new MouseEventArgs());

        await page.WaitForAssertionAsync(() => Assert.Contains($"Frozen by olive-operator", page.Find("#freeze").TextContent, StringComparison.Ordinal));
        Assert.Contains(Hostile, page.Find("#freeze p").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("#injected, #freeze-error, #freeze-set"));
        Assert.Equal(Hostile, Ctx.Services.GetRequiredService<FreezeService>().Current?.Reason);

        await page.Find("#freeze-lift").ClickAsync(new MouseEventArgs());
        await page.WaitForAssertionAsync(() => Assert.Contains("Not frozen", page.Find("#freeze").TextContent, StringComparison.Ordinal));
        Assert.Null(Ctx.Services.GetRequiredService<FreezeService>().Current);
    }

    [Fact]
    public void On_a_follower_an_operator_sees_the_switch_disabled_with_the_reason()
    {
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);

        var page = RenderPage<Production>(Follower);

        page.WaitForAssertion(() => Assert.True(page.Find("#freeze-set").HasAttribute("disabled")));
        Assert.Equal(FollowerRefusal, page.Find("#freeze-set").GetAttribute("title"));
        Assert.True(page.Find("#freeze-reason-input").HasAttribute("disabled"));
    }
}
