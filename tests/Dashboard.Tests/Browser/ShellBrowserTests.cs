using Microsoft.Playwright;

namespace Wrangler.Dashboard.Tests.Browser;

public sealed class ShellBrowserTests : IAsyncLifetime
{
    private AppHost host = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        host = await AppHost.StartAsync();
        (playwright, browser) = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Sidebar_toggle_works_over_the_live_circuit_and_navigation_reaches_each_area()
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1366, Height = 800 } });
        await Browser.SignInAsync(page, host.BaseAddress, AppHost.OperatorName, host.OperatorPassword);
        var sidebar = page.Locator("#sidebar");
        await Assertions.Expect(sidebar).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("expanded"));

        // Only a connected interactive circuit can handle this click; a static page would not change.
        await Browser.WaitForInteractiveAsync(page);
        await page.Locator("#sidebar-toggle").ClickAsync();
        await Assertions.Expect(sidebar).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("collapsed"));
        await page.Locator("#sidebar-toggle").ClickAsync();
        await Assertions.Expect(sidebar).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("expanded"));

        await page.GetByText("Audit", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Audit");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("shell-audit") });
    }
}
