using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Wrangler.Core.Auth;
using Wrangler.Core.Persistence;

namespace Wrangler.Dashboard.Tests.Auth;

/// <summary>/admin as people use it: an admin creates a token (seen once) and an account; viewers and operators are refused.</summary>
public sealed class AdminBrowserTests : IAsyncLifetime
{
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
    public async Task An_admin_creates_a_token_sees_its_secret_once_and_revokes_it()
    {
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 }, Permissions = ["clipboard-read", "clipboard-write"] });
        var page = await context.NewPageAsync();
        await Browser.Browser.SignInAsync(page, host.BaseAddress, AppHost.AdminName, host.AdminPassword, "/");
        await Browser.Browser.WaitForInteractiveAsync(page);
        await page.Locator("#sidebar").GetByText("Admin", new() { Exact = true }).ClickAsync();
        await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/admin");
        await Browser.Browser.WaitForInteractiveAsync(page);

        await page.Locator("#token-name").FillAsync("release-runner");
        await page.Locator("#token-role").SelectOptionAsync("operator");
        await page.Locator("#create-token").ClickAsync();
        await Assertions.Expect(page.Locator("#new-token")).ToContainTextAsync("you will not see this again");
        var secret = await page.Locator("#token-secret").InputValueAsync();
        Assert.StartsWith("wr_", secret);
        await Assertions.Expect(page.Locator("tr[data-token='release-runner']")).ToContainTextAsync("never");
        await page.Locator("#copy-token").ClickAsync();
        await Assertions.Expect(page.Locator("#copy-token")).ToHaveTextAsync("Copied");
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.ScreenshotAsync(new() { Path = Browser.Browser.ScreenshotPath("admin-token-created"), FullPage = true });

        // The secret works, with the role chosen: it may act but not administer.
        using (var ci = host.NewClient(secret))
        {
            Assert.Equal(HttpStatusCode.OK, (await ci.GetAsync("/api/v1/masters")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await ci.GetAsync("/api/v1/tokens")).StatusCode);
        }

        // Dismissed, or the page reloaded: the secret is nowhere on the page again.
        await page.Locator("#token-done").ClickAsync();
        await Assertions.Expect(page.Locator("#new-token")).ToHaveCountAsync(0);
        await page.ReloadAsync();
        await Browser.Browser.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("tr[data-token='release-runner']")).ToContainTextAsync("active");
        Assert.DoesNotContain(secret, await page.ContentAsync());

        var row = page.Locator("tr[data-token='release-runner']");
        await row.Locator("[data-action='revoke']").ClickAsync();
        // Destructive: a dialog asks first (Controls/ConfirmDialog.razor).
        await Assertions.Expect(page.Locator("#confirm-message")).ToContainTextAsync("Anything using it stops working at once");
        await page.Locator("[data-action='confirm-revoke']").ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("revoked");
        using (var ci = host.NewClient(secret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await ci.GetAsync("/api/v1/masters")).StatusCode);
        }

        var audit = await AuditAsync();
        Assert.Contains(audit, e => e is { Kind: "auth.token.create", Actor: AppHost.AdminName, Subject: "token release-runner" });
        Assert.Contains(audit, e => e is { Kind: "auth.token.revoke", Actor: AppHost.AdminName, Subject: "token release-runner" });
    }

    [Fact]
    public async Task An_admin_creates_an_account_with_the_password_rules_and_disables_it()
    {
        const string hostile = "<img src=x onerror=window.pwned=1>";
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        await Browser.Browser.SignInAsync(page, host.BaseAddress, AppHost.AdminName, host.AdminPassword, "/admin");
        await Browser.Browser.WaitForInteractiveAsync(page);

        await page.Locator("#user-name").FillAsync("sheila-sheriff");
        await page.Locator("#user-password").FillAsync("short");
        await page.Locator("#create-user").ClickAsync();
        await Assertions.Expect(page.Locator("#admin-error")).ToContainTextAsync($"at least {AccountService.MinPasswordLength} characters");
        await Assertions.Expect(page.Locator("tr[data-user='sheila-sheriff']")).ToHaveCountAsync(0);

        await page.Locator("#user-password").FillAsync("correct-horse-battery");
        await page.Locator("#create-user").ClickAsync();
        var row = page.Locator("tr[data-user='sheila-sheriff']");
        await Assertions.Expect(row).ToContainTextAsync("enabled");
        await Assertions.Expect(row).ToContainTextAsync("never");

        // A name is text wherever it shows.
        await page.Locator("#token-name").FillAsync(hostile);
        await page.Locator("#create-token").ClickAsync();
        await Assertions.Expect(page.Locator("#new-token")).ToContainTextAsync(hostile);
        Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned ?? null"));

        await row.Locator("select").SelectOptionAsync("operator");
        await Assertions.Expect(page.Locator("#admin-notice")).ToContainTextAsync("is now operator");
        await row.Locator("[data-action='disable']").ClickAsync();
        await page.Locator("[data-action='confirm-disable']").ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("disabled");
        // The admin's own row offers no way to lock themselves out.
        var mine = page.Locator($"tr[data-user='{AppHost.AdminName}']");
        Assert.Equal(0, await mine.Locator("[data-action='disable']").CountAsync());
        Assert.True(await mine.Locator("select").IsDisabledAsync());
        await page.ScreenshotAsync(new() { Path = Browser.Browser.ScreenshotPath("admin-accounts"), FullPage = true });

        var account = await host.Services.GetRequiredService<AccountService>().FindAsync("sheila-sheriff", CancellationToken.None);
        Assert.Equal((Role.Operator, true), (account!.Role, account.Disabled));
        var kinds = (await AuditAsync()).Where(e => e.Actor == AppHost.AdminName).Select(e => e.Kind).ToList();
        Assert.Contains("auth.user.create", kinds);
        Assert.Contains("auth.user.role", kinds);
        Assert.Contains("auth.user.disable", kinds);
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Operator)]
    public async Task Viewers_and_operators_are_refused_admin_and_see_no_link_to_it(Role role)
    {
        var name = $"not-admin-{role.Name()}";
        var password = await host.CreateUserAsync(name, role);
        var page = await browser.NewPageAsync();
        await Browser.Browser.SignInAsync(page, host.BaseAddress, name, password, "/");
        await Browser.Browser.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#signed-in-user")).ToHaveTextAsync(name);
        Assert.Equal(0, await page.Locator("#sidebar").GetByText("Admin", new() { Exact = true }).CountAsync());

        var response = await page.GotoAsync(new Uri(host.BaseAddress, "/admin").ToString());
        Assert.Equal(403, response!.Status);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Not allowed");
        Assert.Equal(0, await page.Locator("#tokens-card, #users-card").CountAsync());
    }

    private async Task<List<AuditEvent>> AuditAsync()
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync();
        return await db.AuditEvents.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }
}
