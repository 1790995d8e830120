using Microsoft.Playwright;
using Wrangler.Core.Auth;
using static Microsoft.Playwright.Assertions;

namespace Wrangler.Dashboard.Tests.Sync;

/// <summary>The freeze switch as a person uses it: an operator freezes and lifts from the page; a viewer sees no switch.</summary>
[Collection("sync-lab")]
public sealed class SyncBrowserTests(SyncLabFixture f)
{
    [Fact]
    public async Task An_operator_freezes_and_lifts_from_the_page_the_banner_follows_and_a_viewer_has_no_switch()
    {
        await f.SettleAsync();
        var (playwright, browser) = await Browser.Browser.LaunchAsync();
        try
        {
            var viewerName = "vera-viewer-" + Guid.NewGuid().ToString("N")[..4];
            var viewerPassword = await f.App.CreateUserAsync(viewerName, Role.Viewer);
            var viewer = await browser.NewPageAsync();
            await Browser.Browser.SignInAsync(viewer, f.App.BaseAddress, viewerName, viewerPassword, "/production");
            await Browser.Browser.WaitForInteractiveAsync(viewer);
            await Expect(viewer.Locator("#sync-status")).ToBeVisibleAsync();
            await Expect(viewer.Locator("#freeze-set")).ToHaveCountAsync(0);

            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
            await Browser.Browser.SignInAsync(page, f.App.BaseAddress, AppHost.OperatorName, f.App.OperatorPassword, "/production");
            await Browser.Browser.WaitForInteractiveAsync(page);
            await page.Locator("#freeze-set").ClickAsync();
            await Expect(page.Locator("#freeze-error")).ToContainTextAsync("needs a reason");
            await page.Locator("#freeze-reason-input").FillAsync("release 143 <i>tagging</i>");
            await page.Locator("#freeze-set").ClickAsync();
            await Expect(page.Locator("#freeze-banner")).ToContainTextAsync("release 143 <i>tagging</i>", new() { Timeout = 10_000 });
            await Expect(page.Locator("#freeze-lift")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("production-frozen"), FullPage = true });

            // Live for others too: the viewer's page shows the banner without a reload.
            await Expect(viewer.Locator("#freeze-banner")).ToContainTextAsync("release 143", new() { Timeout = 10_000 });
            await page.GotoAsync(new Uri(f.App.BaseAddress, "/").ToString());
            await Expect(page.Locator("#freeze-banner")).ToContainTextAsync(AppHost.OperatorName);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("fleet-frozen") });

            await page.GotoAsync(new Uri(f.App.BaseAddress, "/production").ToString());
            await Browser.Browser.WaitForInteractiveAsync(page);
            await page.Locator("#freeze-lift").ClickAsync();
            await Expect(page.Locator("#freeze-banner")).ToHaveCountAsync(0, new() { Timeout = 10_000 });
            await Expect(viewer.Locator("#freeze-banner")).ToHaveCountAsync(0, new() { Timeout = 10_000 });
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("production"), FullPage = true });
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }

    /// <summary>Signed in as the operator, a full-page screenshot of each path, for a person to look at afterwards.</summary>
    internal static async Task ScreenshotsAsync(AppHost app, params (string Path, string Name)[] pages)
    {
        var (playwright, browser) = await Browser.Browser.LaunchAsync();
        try
        {
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
            await Browser.Browser.SignInAsync(page, app.BaseAddress, AppHost.OperatorName, app.OperatorPassword, pages[0].Path);
            foreach (var (path, name) in pages)
            {
                await page.GotoAsync(new Uri(app.BaseAddress, path).ToString());
                await Browser.Browser.WaitForInteractiveAsync(page);
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath(name), FullPage = true });
            }
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }
}
