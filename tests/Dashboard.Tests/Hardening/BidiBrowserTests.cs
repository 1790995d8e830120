using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Wrangler.Core.Auth;

namespace Wrangler.Dashboard.Tests.Hardening;

/// <summary>
/// Text that tries to impersonate, as a person sees it: a name carrying U+202E (which shows "\u202enimda" as "admin")
/// reaches the audit log only through a failed sign-in, and is shown with the override written out; right-to-left
/// names and reasons are isolated from the text around them; the lookalikes are refused at the admin form.
/// </summary>
public sealed class BidiBrowserTests : IAsyncLifetime
{
    private const string Spoof = "\u202enimda";
    private AppHost host = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        host = await AppHost.StartAsync("--Wrangler:Demo:Seed=5");
        (playwright, browser) = await Browser.Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await host.DisposeAsync();
    }

    [Fact]
    public async Task A_bidi_spoofed_name_shows_what_it_is_rtl_text_is_isolated_and_lookalikes_are_refused()
    {
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });

        // A stranger signs in as "\u202enimda": refused, and audited under the name they typed.
        await page.GotoAsync(new Uri(host.BaseAddress, "/login").ToString());
        await page.Locator("#name").FillAsync(Spoof);
        await page.Locator("#password").FillAsync("whatever-they-try");
        await page.Locator("#sign-in").ClickAsync();
        await Assertions.Expect(page.Locator("#login-error")).ToContainTextAsync("Wrong name or password");

        // An operator token with a right-to-left name starts a campaign with a right-to-left reason.
        var (_, secret) = await host.CreateTokenAsync("שרת", Role.Operator);
        using (var api = host.NewClient(secret))
        {
            var master = (await api.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))![0].GetProperty("name").GetString()!;
            using var created = await api.PostAsJsonAsync("/api/v1/campaigns", new { kind = "restart", selector = new { names = new[] { master } }, reason = "עדכון ליבה" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await Browser.Browser.SignInAsync(page, host.BaseAddress, AppHost.AdminName, host.AdminPassword, "/audit");
        await Browser.Browser.WaitForInteractiveAsync(page);
        var who = page.Locator("td", new() { HasText = "[U+202E]nimda" });
        await Assertions.Expect(who.First).ToBeVisibleAsync();
        Assert.Equal("[U+202E]nimda", (await who.First.InnerTextAsync()).Trim());
        Assert.False(await page.EvaluateAsync<bool>("() => document.body.innerText.includes('\\u202e')"), "the override reached the page as a character");
        await page.ScreenshotAsync(new() { Path = Browser.Browser.ScreenshotPath("hardening-audit-spoof"), FullPage = true });

        await page.GotoAsync(new Uri(host.BaseAddress, "/campaigns").ToString());
        await Browser.Browser.WaitForInteractiveAsync(page);
        foreach (var text in new[] { "token:שרת", "עדכון ליבה" })
        {
            var bdi = page.Locator("bdi", new() { HasTextString = text });
            await Assertions.Expect(bdi.First).ToBeVisibleAsync();
            Assert.Equal("isolate", await bdi.First.EvaluateAsync<string>("e => getComputedStyle(e).unicodeBidi"));
        }

        await page.ScreenshotAsync(new() { Path = Browser.Browser.ScreenshotPath("hardening-campaigns-rtl"), FullPage = true });

        // The lookalikes, at the admin form: the same name in capitals, and the override.
        await page.GotoAsync(new Uri(host.BaseAddress, "/admin").ToString());
        await Browser.Browser.WaitForInteractiveAsync(page);
        await page.Locator("#user-name").FillAsync(AppHost.AdminName.ToUpperInvariant());
        await page.Locator("#user-password").FillAsync("correct-horse-battery");
        await page.Locator("#create-user").ClickAsync();
        await Assertions.Expect(page.Locator("#admin-error")).ToContainTextAsync("differs only in case");
        await page.Locator("#user-name").FillAsync(Spoof);
        await page.Locator("#user-password").FillAsync("correct-horse-battery");
        await page.Locator("#create-user").ClickAsync();
        await Assertions.Expect(page.Locator("#admin-error")).ToContainTextAsync("must not contain control or invisible formatting characters (found U+202E");
        await Assertions.Expect(page.Locator("#users tbody tr")).ToHaveCountAsync(2);
        await page.ScreenshotAsync(new() { Path = Browser.Browser.ScreenshotPath("hardening-admin-lookalike"), FullPage = true });
    }
}
