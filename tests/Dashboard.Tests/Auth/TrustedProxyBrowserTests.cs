using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Wrangler.Dashboard.Tests.Auth;

/// <summary>A browser behind the SSO proxy (the headers it would add, from 127.0.0.1): the live pages know the user and their role.</summary>
public sealed class TrustedProxyBrowserTests : IAsyncLifetime
{
    private AppHost host = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        host = await AppHost.StartAsync("--Wrangler:Demo:Seed=13", "--Wrangler:Auth:TrustedProxy:Enabled=true", "--Wrangler:Auth:TrustedProxy:Proxies:0=127.0.0.1",
            "--Wrangler:Auth:TrustedProxy:GroupRoles:sheriffs=viewer", "--Wrangler:Auth:TrustedProxy:GroupRoles:buildduty=operator");
        (playwright, browser) = await Browser.Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await host.DisposeAsync();
    }

    [Fact]
    public async Task A_sheriff_behind_the_proxy_watches_a_campaign_without_buttons_and_buildduty_gets_them()
    {
        var master = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))![0].GetProperty("name").GetString();
        using var created = await host.Client.PostAsJsonAsync("/api/v1/campaigns", new { kind = "gracefulRestart", selector = new { names = new[] { master } } });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        await using var sheriff = await ProxiedAsync("sam-sheriff", "sheriffs");
        var page = await sheriff.NewPageAsync();
        await page.GotoAsync(new Uri(host.BaseAddress, $"/campaigns/{id}").ToString());
        await Browser.Browser.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#signed-in-user")).ToHaveTextAsync("sam-sheriff");
        await Assertions.Expect(page.Locator("#signed-in-role")).ToHaveTextAsync("viewer");
        await Assertions.Expect(page.Locator("#campaign-title")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("#campaign-actions button, [data-action]").CountAsync());
        Assert.Equal(0, await page.Locator("#sign-out").CountAsync());
        await page.ScreenshotAsync(new() { Path = Browser.Browser.ScreenshotPath("proxy-sheriff-campaign") });

        await using var buildduty = await ProxiedAsync("bea-buildduty", "buildduty");
        var op = await buildduty.NewPageAsync();
        await op.GotoAsync(new Uri(host.BaseAddress, $"/campaigns/{id}").ToString());
        await Browser.Browser.WaitForInteractiveAsync(op);
        await Assertions.Expect(op.Locator("#signed-in-role")).ToHaveTextAsync("operator");
        await op.Locator("#abort").ClickAsync();
        await op.Locator("#confirm-ok").ClickAsync();
        await Assertions.Expect(op.Locator("#campaign-state")).ToContainTextAsync("aborted", new() { IgnoreCase = true });
        var campaign = await host.Client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal("aborted", campaign.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Someone_the_proxy_lets_in_without_a_mapped_group_is_told_why_they_are_refused()
    {
        await using var stranger = await ProxiedAsync("mo-marketing", "marketing,all-staff");
        var page = await stranger.NewPageAsync();
        var response = await page.GotoAsync(host.BaseAddress.ToString());
        Assert.Equal(403, response!.Status);
        await Assertions.Expect(page.Locator("#forbidden-reason")).ToContainTextAsync("none of your groups (marketing, all-staff) is given a Wrangler role");
        await page.ScreenshotAsync(new() { Path = Browser.Browser.ScreenshotPath("proxy-refused") });
    }

    private Task<IBrowserContext> ProxiedAsync(string user, string groups) =>
        browser.NewContextAsync(new() { ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Forwarded-User"] = user, ["X-Forwarded-Groups"] = groups } });
}
