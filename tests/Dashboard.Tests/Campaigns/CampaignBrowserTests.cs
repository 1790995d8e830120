using Microsoft.Playwright;
using static Wrangler.Dashboard.Tests.Campaigns.CampaignLabFixture;

namespace Wrangler.Dashboard.Tests.Campaigns;

/// <summary>An operator's clicks through a campaign on the real lab: pick, preview, create, approve, watch.</summary>
[Collection("campaign-lab")]
public sealed class CampaignBrowserTests(CampaignLabFixture f) : IAsyncLifetime
{
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync() => (playwright, browser) = await Browser.Browser.LaunchAsync();

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }

    [Fact]
    public async Task An_operator_creates_a_campaign_sees_the_plan_approves_it_and_watches_the_steps_turn_green()
    {
        var master = "bm05-try1";
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        await Browser.Browser.SignInAsync(page, f.App.BaseAddress, AppHost.OperatorName, f.App.OperatorPassword, "/campaigns");
        await Browser.Browser.WaitForInteractiveAsync(page);
        await page.Locator("#new-campaign").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("New campaign");
        await Browser.Browser.WaitForInteractiveAsync(page);

        await page.Locator("input[name=kind][value=Restart]").CheckAsync();
        await page.Locator("#names").FillAsync(master);
        await page.Locator("#reason").FillAsync("browser test <b>not bold</b>");
        await Assertions.Expect(page.Locator("#plan-summary")).ToContainTextAsync("1 master(s)");
        await Assertions.Expect(page.Locator("#plan-buckets tr[data-bucket='try1']")).ToContainTextAsync(master);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("campaign-plan"), FullPage = true });

        await page.Locator("#create").ClickAsync();
        await Assertions.Expect(page.Locator("#campaign-state [data-state]")).ToHaveAttributeAsync("data-state", "AwaitingApproval");
        await Assertions.Expect(page.Locator(".wr-reason")).ToContainTextAsync("<b>not bold</b>");
        var run = page.Locator($"article[data-master='{master}']");
        await Assertions.Expect(run.Locator("li[data-step=PreCheck]")).ToHaveAttributeAsync("data-state", "Pending");

        await Browser.Browser.WaitForInteractiveAsync(page);
        await page.Locator("#approve").ClickAsync();

        // Steps turn green one after another, live, while later ones are still waiting.
        await Assertions.Expect(run.Locator("li[data-step=PreCheck]")).ToHaveAttributeAsync("data-state", "Succeeded", new() { Timeout = 60_000 });
        Assert.NotEqual("Succeeded", await run.Locator("li[data-step=EndDowntime]").GetAttributeAsync("data-state"));
        await Assertions.Expect(run.Locator("li[data-step=Start]")).ToHaveAttributeAsync("data-state", "Succeeded", new() { Timeout = 60_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("campaign-running"), FullPage = true });
        await Assertions.Expect(page.Locator("#campaign-state [data-state]")).ToHaveAttributeAsync("data-state", "Succeeded", new() { Timeout = 90_000 });
        Assert.Equal(await run.Locator("li.wr-step").CountAsync(), await run.Locator("li.wr-step[data-state=Succeeded]").CountAsync());
        await Assertions.Expect(page.Locator("#approve")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("campaign-done"), FullPage = true });

        // The list shows it too, as done.
        await page.Locator("nav.wr-crumbs a").ClickAsync();
        await Assertions.Expect(page.Locator("#campaigns tr[data-state=succeeded]").First).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_page_shows_the_live_output_of_the_real_remote_commands_as_text_batched()
    {
        var master = "bm04-build1";
        var id = await f.CreateAsync(new { kind = "restart", selector = new { names = new[] { master } }, reason = "browser test: live output" });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        await Browser.Browser.SignInAsync(page, f.App.BaseAddress, AppHost.OperatorName, f.App.OperatorPassword, $"/campaigns/{id}");
        await Browser.Browser.WaitForInteractiveAsync(page);

        // Every text the output box ever shows, and how many times it changed: steps pass quickly, so a test
        // that only looked now and then could miss a line that was there.
        await page.EvaluateAsync("""
            () => {
              window.__seen = []; window.__renders = 0;
              new MutationObserver(() => {
                window.__renders++;
                for (const pre of document.querySelectorAll('[data-output] pre')) window.__seen.push(pre.textContent);
              }).observe(document.getElementById('lanes'), { subtree: true, childList: true, characterData: true });
            }
            """);
        await page.Locator("#approve").ClickAsync();

        var box = page.Locator($"[data-output='{master}']");
        // Printed by `buildbot start` itself (scripts/start.py), not by Wrangler: the real command's output, live.
        await Assertions.Expect(box.Locator("pre")).ToContainTextAsync("The buildmaster appears to have (re)started correctly.", new() { Timeout = 90_000 });
        await Assertions.Expect(box).ToHaveAttributeAsync("data-step", "Start");
        Assert.Equal("monospace", (await box.Locator("pre").EvaluateAsync<string>("e => getComputedStyle(e).fontFamily")).Split(',')[^1].Trim());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("campaign-output"), FullPage = true });

        var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", "the end", TimeSpan.FromMinutes(3));
        Assert.True(State(done) == "succeeded", done.ToString());
        var seen = await page.EvaluateAsync<string[]>("() => window.__seen");
        Assert.Contains(seen, t => t.Contains("Config file is good!", StringComparison.Ordinal)); // checkconfig, in the pre-check
        Assert.Contains(seen, t => t.Contains("Following twistd.log until startup finished..", StringComparison.Ordinal));
        Assert.DoesNotContain(seen, t => t.Contains("@@", StringComparison.Ordinal)); // our scripts' markers are not output

        // The box is gone once the master is done; the step details remain the record.
        await Assertions.Expect(box).ToHaveCountAsync(0, new() { Timeout = 10_000 });
    }

    [Fact]
    public async Task Remote_output_that_looks_like_markup_is_shown_as_text()
    {
        const string Hostile = "<b id=\"injected\">bold</b><img src=x onerror=\"window.pwned=1\">";
        var master = "bm05-try1";
        await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", $"raise Exception('{Hostile}')\n", "Bug 6 - a config whose error is markup");
        try
        {
            await f.WaitForMasterAsync(master, j => j.GetProperty("inSync").ValueKind == System.Text.Json.JsonValueKind.False, "out of sync after the push", TimeSpan.FromSeconds(20));
            var id = await f.CreateAsync(new { kind = "reconfig", selector = new { names = new[] { master } }, policy = new { failureThreshold = 1 } });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
            await Browser.Browser.SignInAsync(page, f.App.BaseAddress, AppHost.OperatorName, f.App.OperatorPassword, $"/campaigns/{id}");
            await Browser.Browser.WaitForInteractiveAsync(page);
            await page.Locator("#approve").ClickAsync();

            // checkconfig's own traceback ends with the exception text: it reaches the page as characters.
            var box = page.Locator($"[data-output='{master}']");
            await Assertions.Expect(box.Locator("pre")).ToContainTextAsync(Hostile, new() { Timeout = 90_000 });
            await Assertions.Expect(box).ToHaveAttributeAsync("data-step", "CheckConfig");
            await Assertions.Expect(page.Locator($"article[data-master='{master}']")).ToHaveAttributeAsync("data-state", "Failed", new() { Timeout = 60_000 }); // after the checkouts are put back
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("campaign-output-failed"), FullPage = true });
            Assert.Equal(0, await page.Locator("#injected").CountAsync());
            Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned ?? null"));

            await f.PostAsync($"/api/v1/campaigns/{id}/abort");
            await f.WaitForCampaignAsync(id, c => State(Master(c, master)) == "aborted", "the failed master cleaned up", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", Lab.LabFiles.BuildersPy(), "Bug 6 - back out");
        }
    }
}
