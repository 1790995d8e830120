using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Wrangler.Dashboard.Tests.Campaigns;

/// <summary>
/// Buildduty with the keyboard alone, on the demo fleet: create, approve, watch, pause, resume and abort a campaign.
/// Every control is reached by Tab (never by a click or a script focus), pressed with Enter or Space.
/// </summary>
public sealed class KeyboardCampaignBrowserTests : IAsyncLifetime
{
    private AppHost host = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        host = await AppHost.StartAsync("--Wrangler:Demo:Seed=42");
        (playwright, browser) = await Browser.Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await host.DisposeAsync();
    }

    /// <summary>Presses Tab until <paramref name="selector"/> has the focus: proves it is reachable in the tab order.</summary>
    private static async Task TabToAsync(IPage page, string selector, int most = 80)
    {
        for (var i = 0; i < most; i++)
        {
            if (await page.EvaluateAsync<bool>("s => !!document.activeElement && document.activeElement.matches(s)", selector))
            {
                return;
            }
            await page.Keyboard.PressAsync("Tab");
        }
        Assert.Fail($"{selector} was not reached with {most} presses of Tab");
    }

    private static Task ExpectStateAsync(IPage page, string state, float timeout = 30_000) =>
        Assertions.Expect(page.Locator("#campaign-state [data-state]")).ToHaveAttributeAsync("data-state", state, new() { Timeout = timeout });

    [Fact]
    public async Task A_campaign_is_created_approved_paused_resumed_and_aborted_with_the_keyboard_alone()
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        await Browser.Browser.SignInAsync(page, host.BaseAddress, AppHost.OperatorName, host.OperatorPassword, "/campaigns/new");
        await Browser.Browser.WaitForInteractiveAsync(page);

        // Every test master, one per bucket at a time: several waves, so there is time to pause and resume.
        await TabToAsync(page, "#roles input[value=Tests]");
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(page.Locator("#plan-summary")).ToContainTextAsync("wave(s)");
        await TabToAsync(page, "#reason");
        await page.Keyboard.TypeAsync("keyboard only");
        await TabToAsync(page, "#create");
        await page.Keyboard.PressAsync("Enter");
        await ExpectStateAsync(page, "AwaitingApproval");
        await Assertions.Expect(page.Locator("#campaign-timeline")).ToBeVisibleAsync();

        await TabToAsync(page, "#approve");
        await page.Keyboard.PressAsync("Enter");
        await ExpectStateAsync(page, "Running");
        // Watching: the first master's out-of-service bar appears on the timeline as its steps start.
        await Assertions.Expect(page.Locator("[data-timeline-master] rect[data-step]").First).ToBeAttachedAsync(new() { Timeout = 30_000 });

        await TabToAsync(page, "#pause");
        await page.Keyboard.PressAsync("Enter");
        await ExpectStateAsync(page, "Paused");

        await TabToAsync(page, "#resume");
        await page.Keyboard.PressAsync("Enter");
        await ExpectStateAsync(page, "Running");

        // Abort asks first; focus starts on Cancel, so one Tab reaches the confirm button.
        await TabToAsync(page, "#abort");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#confirm-message")).ToBeVisibleAsync();
        // The dialog takes the focus once it has rendered; on a loaded machine that is after it shows, and Tabs pressed
        // before then walk the page behind it.
        await page.WaitForFunctionAsync("() => !!document.activeElement && !!document.activeElement.closest('.mud-dialog')", null, new() { Timeout = 10_000 });
        await TabToAsync(page, "#confirm-ok", most: 4);
        await page.Keyboard.PressAsync("Enter");
        await ExpectStateAsync(page, "Aborted", 60_000);

        var id = page.Url.Split('/')[^1];
        var campaign = await host.Client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal("aborted", campaign.GetProperty("state").GetString());
        Assert.Equal("keyboard only", campaign.GetProperty("reason").GetString());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("campaign-keyboard-aborted"), FullPage = true });
    }
}
