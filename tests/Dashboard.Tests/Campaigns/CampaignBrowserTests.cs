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
}
