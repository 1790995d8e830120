using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Wrangler.Core.Auth;
using Wrangler.Core.Persistence;
using Wrangler.Dashboard.Auth;
using Wrangler.Dashboard.Components.Pages;
using Wrangler.Dashboard.Model;

namespace Wrangler.Components.Tests;

/// <summary>
/// The admin page against the real token and account services on a scratch database: what an admin can do on the
/// leader, a hostile token name kept as text, and on a follower every write disabled and refused (docs/ha.md).
/// </summary>
public sealed class AdminPageTests : DatabaseTest
{
    private const string Hostile = "<img src=x onerror=alert(1) id=\"injected\">";

    public override async Task InitializeAsync()
    {
        Ctx.Services.AddOptions<AuthOptions>();
        Ctx.Services.AddSingleton<SignInThrottle>();
        Ctx.Services.AddSingleton<AccountService>();
        Ctx.Services.AddSingleton<TokenService>();
        Ctx.Services.AddScoped<UserAccess>();
        SignIn("ada-admin", Roles.Viewer, Roles.Operator, Roles.Admin);
        await MigrateAsync();

        var accounts = Ctx.Services.GetRequiredService<AccountService>();
        await accounts.CreateAsync("ada-admin", "ada-admin-password", Role.Admin, "test", CancellationToken.None);
        await accounts.CreateAsync("olive", "olive-password-1", Role.Operator, "test", CancellationToken.None);
        await Ctx.Services.GetRequiredService<TokenService>().CreateAsync(Hostile, Role.Operator, "ada-admin", CancellationToken.None);
    }

    private static readonly string WriteButtons = "#create-token, #create-user, [data-action]";

    [Fact]
    public void On_the_leader_an_admin_creates_a_token_and_sees_its_secret_once_and_a_hostile_name_stays_text()
    {
        var page = RenderPage<Admin>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("#tokens tr[data-token]")));
        Assert.All(page.FindAll(WriteButtons), b => Assert.False(b.HasAttribute("disabled"), b.OuterHtml));
        Assert.Equal(Hostile, page.Find("#tokens tr[data-token] bdi").TextContent);
        Assert.Empty(page.FindAll("#injected"));

        page.Find("#token-name").Input("release-runner");
        page.Find("#token-form").Submit();

        page.WaitForAssertion(() => Assert.Contains("Token “release-runner” (viewer) created", page.Find("#new-token").TextContent, StringComparison.Ordinal));
        Assert.StartsWith("wr_", page.Find("#token-secret").GetAttribute("value") ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_a_follower_every_write_is_disabled_with_the_reason_and_a_submit_anyway_is_refused()
    {
        var page = RenderPage<Admin>(Follower);

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("#users tr[data-user]")));
        var buttons = page.FindAll(WriteButtons);
        Assert.True(buttons.Count >= 4, $"{buttons.Count} write buttons: create token, create account, revoke, disable");
        Assert.All(buttons, b =>
        {
            Assert.True(b.HasAttribute("disabled"), b.OuterHtml);
            Assert.Equal(FollowerRefusal, b.GetAttribute("title"));
        });
        Assert.All(page.FindAll("#token-name, #user-name, #user-password, #users select"), i => Assert.True(i.HasAttribute("disabled"), i.OuterHtml));

        // A stale circuit can still submit: the handler refuses with the same sentence, and nothing is stored.
        page.Find("#token-form").Submit();

        page.WaitForAssertion(() => Assert.Equal(FollowerRefusal, page.Find("#admin-error").TextContent.Trim()));
        Assert.Single(await Ctx.Services.GetRequiredService<TokenService>().ListAsync(CancellationToken.None));
        Assert.Empty(page.FindAll("#new-token"));
    }
}
