using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wrangler.Core.Auth;
using Wrangler.Core.Leases;
using Wrangler.Core.Workers;
using Wrangler.Dashboard.Auth;
using Wrangler.Dashboard.Components.Pages;

namespace Wrangler.Components.Tests;

/// <summary>
/// The workers page against the real worker tracker and control on the demo fleet: each worker's state shown in
/// words with its icon, which buttons each role sees, a follower's buttons disabled with the reason, and a kill that
/// asks first; a worker's own page with its cycles. (Pausing a real worker from the page is the lab's: tests/Dashboard.Tests/Workers/WorkersBrowserTests.cs.)
/// </summary>
public sealed class WorkersPageTests : DatabaseTest
{
    private const string RowButtons = "td.wr-worker-buttons button";
    private WorkerTracker tracker = null!;
    private string master = "";

    public override async Task InitializeAsync()
    {
        UseDemoCore();
        await MigrateAsync();
        await Ctx.Services.GetRequiredService<LeaderLease>().StartAsync(CancellationToken.None);
        tracker = Ctx.Services.GetRequiredService<WorkerTracker>();
        await ((IHostedService)tracker).StartAsync(CancellationToken.None);
        await PumpUntilAsync(() => tracker.List().Count(w => w.State == WorkerStatus.Busy) >= 3, "three busy workers on the demo fleet");

        // One master's workers, as its master page links here (?master=): the whole demo fleet's are too many to
        // render again on every event in a test.
        master = tracker.List().First(w => w.State == WorkerStatus.Busy).ConnectedTo[0];
        Ctx.Services.GetRequiredService<NavigationManager>().NavigateTo($"workers?master={Uri.EscapeDataString(master)}");
    }

    public override async Task DisposeAsync()
    {
        await ((IHostedService)tracker).StopAsync(CancellationToken.None);
        await base.DisposeAsync();
    }

    /// <summary>
    /// Acts on what <paramref name="selector"/> finds, finding it again if the page rendered in between: this page renders
    /// on the tracker's events, and a handler of the render before is gone (it failed a CI run at load 45). Returns the
    /// handler's task, which a handler waiting on a dialog ends only once the dialog is answered.
    /// </summary>
    private static async Task<Task> OnLivePageAsync(IRenderedComponent<Bunit.Rendering.ContainerFragment> page, string selector, Func<AngleSharp.Dom.IElement, Task> act)
    {
        for (var attempt = 1; ; attempt++)
        {
            Task handler;
            try
            {
                handler = act(page.Find(selector));
            }
            catch (Bunit.Rendering.UnknownEventHandlerIdException) when (attempt < 5)
            {
                // The render came between the find and the dispatch, and bUnit threw at once (a CI run at load 100).
                continue;
            }

            await Task.WhenAny(handler, Task.Delay(TimeSpan.FromMilliseconds(200)));
            if (handler.IsFaulted && handler.Exception.InnerException is Bunit.Rendering.UnknownEventHandlerIdException && attempt < 5)
            {
                continue;
            }

            return handler;
        }
    }

    [Fact]
    public void A_viewer_sees_every_worker_with_its_state_in_words_and_no_control()
    {
        SignIn("vera-viewer", Roles.Viewer);

        var page = RenderPage<Workers>();

        var expected = tracker.List().Where(w => w.ConnectedTo.Contains(master) || w.ConfiguredOn.Contains(master)).Select(w => w.Name).Order(StringComparer.Ordinal);
        page.WaitForAssertion(() => Assert.Equal(expected, page.FindAll("tr[data-worker]").Select(r => r.GetAttribute("data-worker")).Order(StringComparer.Ordinal)));
        Assert.Contains(page.FindAll("tr[data-worker]"), r => r.GetAttribute("data-state") == "busy");
        Assert.All(page.FindAll("tr[data-worker]"), r =>
        {
            var chip = r.QuerySelector(".wr-pill")!;
            Assert.Equal(r.GetAttribute("data-state"), chip.TextContent.Trim());
            Assert.NotNull(chip.QuerySelector("svg")); // the icon: a state is never told by colour alone
        });
        Assert.Empty(page.FindAll($"{RowButtons}, [data-action], input[type=checkbox], #worker-actions"));
    }

    [Fact]
    public async Task An_operator_on_the_leader_gets_each_workers_controls_and_a_kill_asks_first()
    {
        // Async all through: a handler that waits on a dialog holds bUnit's blocking Click() until the dialog is answered.
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);
        var page = RenderPage<Workers>();
        await page.WaitForAssertionAsync(() => Assert.NotEmpty(page.FindAll("tr[data-worker]")));

        var busy = page.FindAll("tr[data-worker][data-state='busy']")[0];
        var name = busy.GetAttribute("data-worker")!;
        Assert.NotNull(busy.QuerySelector("input[type=checkbox]"));
        Assert.All(busy.QuerySelectorAll(RowButtons), b => Assert.False(b.HasAttribute("disabled"), b.OuterHtml));
        Assert.Equal(["pause", "gracefulShutdown", "kill", "expectedIdle"], busy.QuerySelectorAll(RowButtons).Select(b => b.GetAttribute("data-action")));
        var kill = $"tr[data-worker='{name}'] button[data-action='kill']";

        // Without a reason nothing is sent.
        await await OnLivePageAsync(page, kill, e => e.ClickAsync(new MouseEventArgs()));
        await page.WaitForAssertionAsync(() => Assert.Equal("Give a reason first.", page.Find("#worker-message").TextContent.Trim()));

        await await OnLivePageAsync(page, "#action-reason", e => e.InputAsync(new ChangeEventArgs { Value = "bug 1: wedged" }));
        var asked = await OnLivePageAsync(page, kill, e => e.ClickAsync(new MouseEventArgs()));
        await page.WaitForAssertionAsync(() => Assert.Contains("Running builds are lost", page.Find("#confirm-message").TextContent, StringComparison.Ordinal));
        Assert.Contains($"Kill {name}?", page.Markup, StringComparison.Ordinal);
        Assert.False(asked.IsCompleted);

        await await OnLivePageAsync(page, "#confirm-cancel", e => e.ClickAsync(new MouseEventArgs()));
        await asked.WaitAsync(TimeSpan.FromSeconds(20));
        await page.WaitForAssertionAsync(() => Assert.Empty(page.FindAll("#confirm-ok, #confirm-cancel")));
        Assert.Equal("Give a reason first.", page.Find("#worker-message").TextContent.Trim()); // nothing new was said: nothing was sent
        Assert.Equal(WorkerStatus.Busy, tracker.Find(name)!.State);
    }

    [Fact]
    public void On_a_follower_an_operator_sees_every_control_disabled_with_the_reason()
    {
        SignIn("olive-operator", Roles.Viewer, Roles.Operator);

        var page = RenderPage<Workers>(Follower);

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("tr[data-worker]")));
        var buttons = page.FindAll($"{RowButtons}, .wr-pool-actions button");
        Assert.True(buttons.Count >= 8, $"{buttons.Count} buttons"); // four for a pool's selection, four or more per worker
        Assert.All(buttons, b =>
        {
            Assert.True(b.HasAttribute("disabled"), b.OuterHtml);
            Assert.Equal(FollowerRefusal, b.GetAttribute("title"));
        });
        Assert.True(page.Find("#action-reason").HasAttribute("disabled"));
    }

    [Fact]
    public async Task A_workers_own_page_shows_its_state_and_cycles_with_the_runners_text_as_text()
    {
        const string Hostile = "<b id=\"injected\">disk full</b>";
        SignIn("vera-viewer", Roles.Viewer);
        var name = tracker.List().First(w => w.State == WorkerStatus.Busy).Name;
        var reports = Ctx.Services.GetRequiredService<CycleReports>();
        var start = Clock.GetUtcNow() - TimeSpan.FromMinutes(30);
        string[] phases = ["preflight", "started", "connected", "shutdownRequested", "stopped", "postflight"];
        for (var i = 0; i < phases.Length; i++)
        {
            await reports.RecordAsync(name, phases[i], null, start + TimeSpan.FromMinutes(i), CancellationToken.None);
        }

        await reports.RecordAsync(name, "preflight", null, start + TimeSpan.FromMinutes(10), CancellationToken.None);
        await reports.RecordAsync(name, "halted", Hostile, start + TimeSpan.FromMinutes(11), CancellationToken.None);

        var page = RenderPage<WorkerDetail>(null, (nameof(WorkerDetail.Name), name));

        await page.WaitForAssertionAsync(() => Assert.Equal(2, page.FindAll("#worker-cycles tr.wr-cycle").Count));
        Assert.Contains("state busy", page.Find("#worker-summary").TextContent, StringComparison.Ordinal);
        Assert.Equal("halted", page.Find("#worker-phase").GetAttribute("data-phase"));
        Assert.Equal(["preflight halted", "preflight started connected shutdownRequested stopped postflight"], page.FindAll("tr.wr-cycle").Select(r => r.GetAttribute("data-phases")));
        Assert.Equal(Hostile, page.Find(".wr-cycle-detail").TextContent);
        Assert.Empty(page.FindAll("#injected"));

        var unknown = Ctx.Render<WorkerDetail>(p => p.Add(d => d.Name, Hostile));
        await unknown.WaitForAssertionAsync(() => Assert.Contains(Hostile, unknown.Find("#worker-unknown").TextContent, StringComparison.Ordinal));
        Assert.Empty(unknown.FindAll("#injected"));
    }
}
