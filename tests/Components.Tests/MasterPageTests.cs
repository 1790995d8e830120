using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Fleet;
using Wrangler.Core.Persistence;
using Wrangler.Core.Tests.Campaigns;
using Wrangler.Dashboard.Components.Pages;

namespace Wrangler.Components.Tests;

/// <summary>
/// One master's page against a hand-built fleet: a name the inventory lacks, the state with its detail, each repo's
/// sync, the workers, and the stored state changes; text from the master and the host stays text.
/// </summary>
public sealed class MasterPageTests : DatabaseTest
{
    private const string Hostile = "<img src=x onerror=alert(1) id=\"injected\">ssh: connection refused";

    public override async Task InitializeAsync()
    {
        var stopped = FleetBuilder.Master("bm01-tests1-linux32", observed: MasterStatus.Unreachable, detail: Hostile) with
        {
            Repos =
            [
                new RepoState("buildbot-configs", "/builds/bm01/buildbot-configs", "production", "aaaa", "aaaa", true, null),
                new RepoState("buildbotcustom", "/builds/bm01/buildbotcustom", "production", "aaaa", "bbbb", false, null),
                new RepoState("tools", "/builds/bm01/tools", "default", "cccc", null, null, Hostile),
            ],
            WorkerList = [new WorkerState("t-linux32-ix-001", true, false, false), new WorkerState("t-linux32-ix-002", false, true, true)],
        };
        UseFleet([stopped, FleetBuilder.Master("bm02-tests1-linux32")]);
        await MigrateAsync();
        await using var db = await Ctx.Services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync();
        db.MasterStateChanges.AddRange(
            new MasterStateChangeRecord { Master = "bm01-tests1-linux32", At = T0.AddMinutes(-30), From = null, To = "running" },
            new MasterStateChangeRecord { Master = "bm01-tests1-linux32", At = T0.AddMinutes(-5), From = "running", To = "unreachable", Detail = Hostile },
            new MasterStateChangeRecord { Master = "bm02-tests1-linux32", At = T0.AddMinutes(-1), From = "running", To = "draining" });
        await db.SaveChangesAsync();
    }

    [Fact]
    public void A_master_shows_its_state_repos_workers_and_own_history_with_host_text_kept_as_text()
    {
        var page = RenderPage<Master>(null, (nameof(Master.Name), "bm01-tests1-linux32"));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("#history tbody tr").Count));
        Assert.Equal("bm01-tests1-linux32", page.Find("#master-name").TextContent);
        Assert.Equal(Hostile, page.Find("#state-detail").TextContent);
        Assert.Equal(
            ["buildbot-configs:true", "buildbotcustom:false", "tools:unknown"],
            page.FindAll("#repos tr[data-repo]").Select(r => $"{r.GetAttribute("data-repo")}:{r.GetAttribute("data-in-sync")}"));
        Assert.Contains("behind", page.Find("#repos tr[data-repo='buildbotcustom']").TextContent, StringComparison.Ordinal);
        Assert.Contains(Hostile, page.Find("#repos tr[data-repo='tools']").TextContent, StringComparison.Ordinal);
        Assert.Equal(["t-linux32-ix-001", "t-linux32-ix-002"], page.FindAll("#workers tr[data-worker]").Select(r => r.GetAttribute("data-worker")));
        Assert.Contains("shutting down", page.Find("#workers tr[data-worker='t-linux32-ix-002']").TextContent, StringComparison.Ordinal);

        // Newest first, and only this master's.
        var history = page.FindAll("#history tbody tr");
        Assert.Contains("running → unreachable", history[0].TextContent, StringComparison.Ordinal);
        Assert.Contains(Hostile, history[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("first seen → running", history[1].TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("#injected"));
        Assert.Empty(page.FindAll("#not-found"));
    }

    [Fact]
    public void A_name_the_inventory_does_not_hold_is_said_so_as_text()
    {
        var page = RenderPage<Master>(null, (nameof(Master.Name), Hostile));

        page.WaitForAssertion(() => Assert.Contains("No master named", page.Find("#not-found").TextContent, StringComparison.Ordinal));
        Assert.Contains(Hostile, page.Find("#not-found").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("#injected"));
        Assert.Empty(page.FindAll("#master-name"));
    }
}
