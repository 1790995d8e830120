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
        await Assertions.Expect(sidebar).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bcollapsed\b"), new() { Timeout = 15_000 });

        await page.Locator("#sidebar-toggle").ClickAsync();
        await Assertions.Expect(sidebar).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bexpanded\b"), new() { Timeout = 15_000 });

        await page.GetByText("Audit", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Audit", new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("shell-audit") });
    }

    [Fact]
    public async Task The_theme_follows_the_browser_until_the_toggle_overrides_it_and_the_choice_survives_a_reload()
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ColorScheme = ColorScheme.Dark, ViewportSize = new ViewportSize { Width = 1366, Height = 800 } });
        var page = await context.NewPageAsync();
        await Browser.SignInAsync(page, host.BaseAddress, AppHost.OperatorName, host.OperatorPassword);
        await Browser.WaitForInteractiveAsync(page);
        var root = page.Locator("#wr-root");
        await Assertions.Expect(root).ToHaveAttributeAsync("data-theme", "dark", new() { Timeout = 15_000 });

        await page.Locator("#theme-toggle").ClickAsync();
        await Assertions.Expect(root).ToHaveAttributeAsync("data-theme", "light");
        Assert.Contains(await context.CookiesAsync(), c => c.Name == "wrangler-theme" && c.Value == "light");

        // The server reads the cookie: the page arrives light, before any script runs, although the browser prefers dark.
        var html = await (await page.ReloadAsync())!.TextAsync();
        Assert.Contains("data-theme=\"light\"", html, StringComparison.Ordinal);
        await Browser.WaitForInteractiveAsync(page);
        await page.Locator("#theme-toggle").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(root).ToHaveAttributeAsync("data-theme", "dark");
        await context.CloseAsync();
    }
}
