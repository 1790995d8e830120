using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Wrangler.Core.Auth;
using Wrangler.Dashboard.Auth;

namespace Wrangler.Dashboard.Tests.Auth;

public sealed class CampaignPageAuthBrowserTests : IAsyncLifetime
{
    private const string Hostile = "<script>window.pwned=1</script><b id=\"injected\">bold</b>";

    private AppHost host = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        host = await AppHost.StartAsync("--Wrangler:Demo:Seed=11");
        (playwright, browser) = await Browser.Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await host.DisposeAsync();
    }

    // What a viewer and an operator see on the campaign page (no buttons, hostile reason as text, abort asks first) is a
    // bUnit test now: tests/Components.Tests/CampaignPageTests.cs; the keyboard flow test drives abort end to end.

    [Fact]
    public async Task A_forged_cross_site_post_with_an_operators_session_is_refused()
    {
        var master = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))![0].GetProperty("name").GetString();
        using var created = await host.Client.PostAsJsonAsync("/api/v1/campaigns", new { kind = "gracefulRestart", selector = new { names = new[] { master } } });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        var page = await browser.NewPageAsync();
        await Browser.Browser.SignInAsync(page, host.BaseAddress, AppHost.OperatorName, host.OperatorPassword);

        // A page on another site, served by the browser itself, auto-submits a form at the API.
        var target = new Uri(host.BaseAddress, $"/api/v1/campaigns/{id}/approve").ToString();
        await page.RouteAsync("http://evil.test/**", r => r.FulfillAsync(new() { ContentType = "text/html", Body = $$"""
            <form method="POST" action="{{target}}" enctype="text/plain"><input name='{"reason":"forged","x":"' value='"}' /></form>
            <script>document.forms[0].submit()</script>
            """ }));
        var response = await page.RunAndWaitForResponseAsync(() => page.GotoAsync("http://evil.test/"), target);
        // Authentication comes before routing's 415 for a form body on a JSON endpoint (docs/hardening.md): the cookie is not enough.
        Assert.Equal(401, response.Status);
        var campaign = await host.Client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal("awaitingApproval", campaign.GetProperty("state").GetString());

        // Even with the session cookie attached by hand, an API write needs a bearer token.
        var session = (await page.Context.CookiesAsync([host.BaseAddress.ToString()])).Single(c => c.Name == "wrangler.auth");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        using var forged = host.NewClient();
        forged.DefaultRequestHeaders.Add("Cookie", $"wrangler.auth={session.Value}");
        using var resp = await forged.PostAsJsonAsync($"/api/v1/campaigns/{id}/approve", new { });
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, resp.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await forged.GetAsync("/api/v1/masters")).StatusCode);
        Assert.Equal("awaitingApproval", (await host.Client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_component_handler_refuses_a_viewer_even_if_the_button_is_invoked()
    {
        using var scope = host.Services.CreateScope();
        var authz = scope.ServiceProvider.GetRequiredService<IAuthorizationService>();
        var viewer = new UserAccess(new FixedAuthState(Principals.Create("vera", Role.Viewer, "test", "user")), authz);
        var op = new UserAccess(new FixedAuthState(Principals.Create("olga", Role.Operator, "test", "user")), authz);
        var nobody = new UserAccess(new FixedAuthState(new ClaimsPrincipal(new ClaimsIdentity())), authz);
        Assert.Null(await viewer.ActorIfAllowedAsync(Roles.Operator));
        Assert.Equal("vera", await viewer.ActorIfAllowedAsync(Roles.Viewer));
        Assert.Equal("olga", await op.ActorIfAllowedAsync(Roles.Operator));
        Assert.Null(await op.ActorIfAllowedAsync(Roles.Admin));
        Assert.Null(await nobody.ActorIfAllowedAsync(Roles.Viewer));
    }

    private sealed class FixedAuthState(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
