using Microsoft.Playwright;

namespace Wrangler.Dashboard.Tests.Browser;

/// <summary>Debian's Chromium driven by Playwright; the package cannot download browsers here (PLATFORM.md).</summary>
public static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install the Debian package 'chromium' (apt-get install chromium).");
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        return (playwright, browser);
    }

    /// <summary>
    /// Waits until the circuit is up: before that, clicks and typing reach a prerendered page and are lost
    /// (window.Blazor exists as soon as the script loads, which is too early on a busy machine).
    /// </summary>
    public static Task WaitForInteractiveAsync(IPage page) =>
        Assertions.Expect(page.Locator("#wr-interactive")).ToHaveAttributeAsync("data-interactive", "true", new() { Timeout = 30_000 });

    /// <summary>Signs in through the real login form and waits until the app has left the login page.</summary>
    public static async Task SignInAsync(IPage page, Uri baseAddress, string user, string password, string path = "/")
    {
        await page.GotoAsync(new Uri(baseAddress, $"/login?returnUrl={Uri.EscapeDataString(path)}").ToString());
        await page.Locator("#name").FillAsync(user);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#sign-in").ClickAsync();
        await page.WaitForURLAsync(u => !new Uri(u).AbsolutePath.StartsWith("/login", StringComparison.Ordinal), new() { Timeout = 30_000 });
    }

    /// <summary>Screenshots land in artifacts/screenshots so a person can look at them after a run.</summary>
    public static string ScreenshotPath(string name)
    {
        var dir = Path.Combine(RepoRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name + ".png");
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Dashboard.sln")))
            {
                return d.FullName;
            }
        }
        return Path.GetTempPath();
    }
}
