using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Persistence;

namespace Wrangler.Dashboard.Tests.Auth;

/// <summary>
/// Trusted-proxy sign-in and forwarded client addresses, through the real app on a loopback port. The test client and
/// the "proxy" are both 127.0.0.1, so one host trusts 127.0.0.1 and another trusts only an address nobody here has.
/// </summary>
public sealed class TrustedProxyTests
{
    private static readonly string[] GroupRoles =
    [
        "--Wrangler:Auth:TrustedProxy:GroupRoles:sheriffs=viewer",
        "--Wrangler:Auth:TrustedProxy:GroupRoles:buildduty=operator",
        "--Wrangler:Auth:TrustedProxy:GroupRoles:releng-admins=admin",
    ];

    [Fact]
    public async Task A_trusted_proxy_signs_users_in_with_the_highest_role_of_their_groups()
    {
        await using var host = await AppHost.StartAsync(["--Wrangler:Demo:Seed=3", "--Wrangler:Auth:TrustedProxy:Enabled=true", "--Wrangler:Auth:TrustedProxy:Proxies:0=127.0.0.1", .. GroupRoles]);
        using var sheriff = ProxiedClient(host, "sheriff-sam", "sheriffs, unrelated");
        using var buildduty = ProxiedClient(host, "bob-buildduty", "sheriffs,buildduty");
        using var admin = ProxiedClient(host, "ada-admin", "RELENG-ADMINS");
        using var stranger = ProxiedClient(host, "sid-stranger", "marketing");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await sheriff.GetAsync("/api/v1/masters")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await sheriff.GetAsync("/api/v1/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await buildduty.GetAsync("/api/v1/users")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/users")).StatusCode);

        // Pages open without a login (no redirect), with the proxy's user shown.
        using (var page = await buildduty.GetAsync("/campaigns"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("bob-buildduty", await page.Content.ReadAsStringAsync());
        }

        // The proxy adds its headers to a forged cross-site request too, so an API write still needs a bearer token.
        using (var write = await buildduty.PostAsJsonAsync("/api/v1/campaigns/preview", new { kind = "restart", selector = new { roles = new[] { "tests" } } }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, write.StatusCode);
        }

        // No group with a role: refused with the reason, on the API and on a page, and not sent to a login page it cannot use.
        using (var api = await stranger.GetAsync("/api/v1/masters"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
            Assert.Contains("none of your groups (marketing)", (await api.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        }

        using (var page = await stranger.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
            Assert.Contains("none of your groups", await page.Content.ReadAsStringAsync());
        }

        // Tokens still work alongside (the host's client is the bootstrap token).
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/api/v1/tokens")).StatusCode);

        var audit = await AuditAsync(host);
        var sam = Assert.Single(audit, e => e.Kind == "auth.signin.proxy" && e.Actor == "sheriff-sam");
        Assert.Equal("from 127.0.0.1 via proxy 127.0.0.1", sam.Subject);
        Assert.StartsWith("viewer;", sam.Detail);
        Assert.StartsWith("operator;", Assert.Single(audit, e => e.Kind == "auth.signin.proxy" && e.Actor == "bob-buildduty").Detail);
        Assert.StartsWith("admin;", Assert.Single(audit, e => e.Kind == "auth.signin.proxy" && e.Actor == "ada-admin").Detail);
        Assert.Single(audit, e => e.Kind == "auth.signin.proxy.refused" && e.Actor == "sid-stranger");
        Assert.DoesNotContain(audit, e => e.Kind == "auth.proxy.ignored");
    }

    [Fact]
    public async Task The_same_headers_from_an_address_that_is_not_a_trusted_proxy_are_ignored_and_audited_once()
    {
        await using var host = await AppHost.StartAsync(["--Wrangler:Demo:Seed=3", "--Wrangler:Auth:TrustedProxy:Enabled=true", "--Wrangler:Auth:TrustedProxy:Proxies:0=10.99.0.1", .. GroupRoles]);
        using var impostor = ProxiedClient(host, "ada-admin", "releng-admins");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await impostor.GetAsync("/api/v1/users")).StatusCode);
        }

        using (var page = await impostor.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith("/login", page.Headers.Location!.AbsolutePath);
        }

        var audit = await AuditAsync(host);
        var ignored = Assert.Single(audit, e => e.Kind == "auth.proxy.ignored");
        Assert.Equal("ada-admin", ignored.Actor);
        Assert.Equal("from 127.0.0.1", ignored.Subject);
        Assert.DoesNotContain(audit, e => e.Kind.StartsWith("auth.signin.proxy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_two_clients_are_throttled_separately_and_audited_by_their_own_address()
    {
        // Proxies alone (no header sign-in): local accounts behind a plain reverse proxy.
        await using var host = await AppHost.StartAsync("--Wrangler:Demo:Seed=3", "--Wrangler:Auth:TrustedProxy:Proxies:0=127.0.0.0/8");
        await host.CreateUserAsync("pat-target", Wrangler.Core.Auth.Role.Viewer);
        using var first = new SignedInClient(host);
        using var second = new SignedInClient(host);
        first.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");
        second.Client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.8");

        Assert.Equal([401, 401, 401, 401, 401, 429], await WrongPasswordsAsync(first, "pat-target", 6));
        // Same name, another client behind the same proxy: its own count, not locked out by the first.
        Assert.Equal([401, 401], await WrongPasswordsAsync(second, "pat-target", 2));

        var audit = await AuditAsync(host);
        Assert.Equal(5, audit.Count(e => e.Kind == "auth.signin.failed" && e.Subject == "from 203.0.113.7"));
        Assert.Single(audit, e => e.Kind == "auth.signin.throttled" && e.Subject == "from 203.0.113.7");
        Assert.Equal(2, audit.Count(e => e.Kind == "auth.signin.failed" && e.Subject == "from 203.0.113.8"));
        Assert.DoesNotContain(audit, e => e.Subject == "from 127.0.0.1");
    }

    [Fact]
    public async Task An_untrusted_sender_cannot_escape_the_throttle_by_sending_x_forwarded_for()
    {
        await using var host = await AppHost.StartAsync("--Wrangler:Demo:Seed=3", "--Wrangler:Auth:TrustedProxy:Proxies:0=10.99.0.1");
        await host.CreateUserAsync("pat-target", Wrangler.Core.Auth.Role.Viewer);
        var statuses = new List<int>();
        for (var i = 0; i < 7; i++)
        {
            // A fresh made-up client address every time, as a guesser would send.
            using var c = new SignedInClient(host);
            c.Client.DefaultRequestHeaders.Add("X-Forwarded-For", $"198.51.100.{i + 1}");
            statuses.AddRange(await WrongPasswordsAsync(c, "pat-target", 1));
        }

        Assert.Equal([401, 401, 401, 401, 401, 429, 429], statuses);
        var audit = await AuditAsync(host);
        Assert.Equal(5, audit.Count(e => e.Kind == "auth.signin.failed" && e.Subject == "from 127.0.0.1"));
        Assert.DoesNotContain(audit, e => e.Subject.Contains("198.51.100.", StringComparison.Ordinal));
    }

    private static HttpClient ProxiedClient(AppHost host, string user, string groups)
    {
        var c = host.NewClient();
        c.DefaultRequestHeaders.Add("X-Forwarded-User", user);
        c.DefaultRequestHeaders.Add("X-Forwarded-Groups", groups);
        return c;
    }

    private static async Task<List<int>> WrongPasswordsAsync(SignedInClient client, string name, int count)
    {
        var statuses = new List<int>();
        for (var i = 0; i < count; i++)
        {
            using var resp = await client.PostLoginAsync(name, $"wrong-{i}");
            statuses.Add((int)resp.StatusCode);
        }

        return statuses;
    }

    private static async Task<List<AuditEvent>> AuditAsync(AppHost host)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync();
        return await db.AuditEvents.AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }
}
