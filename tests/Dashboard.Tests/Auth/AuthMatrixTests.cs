using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Wrangler.Core.Auth;

namespace Wrangler.Dashboard.Tests.Auth;

/// <summary>Every API endpoint × every kind of caller: the server, not the UI, decides who may do what.</summary>
public sealed class AuthMatrixTests : IAsyncLifetime
{
    private AppHost host = null!;

    public async Task InitializeAsync() => host = await AppHost.StartAsync("--Wrangler:Demo:Seed=7");

    public async Task DisposeAsync() => await host.DisposeAsync();

    private enum Caller
    {
        Anonymous,
        Viewer,
        Operator,
        Admin,
        Reporter,
        Revoked,
    }

    private sealed record Endpoint(string Method, string Path, Role Needs, object? Body = null);

    [Fact]
    public async Task Every_endpoint_answers_each_caller_with_the_right_status()
    {
        var masters = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))!;
        var master = masters[0].GetProperty("name").GetString()!;
        var campaign = await CreateCampaignAsync(master);
        var (dummyToken, _) = await host.CreateTokenAsync("to-be-revoked-by-admin", Role.Viewer);
        await host.CreateUserAsync("dummy-user", Role.Viewer);
        var request = new { kind = "gracefulRestart", selector = new { names = new[] { master } } };
        var scheduleBody = new { name = "matrix", kind = "restart", selector = new { names = new[] { master } }, cron = "0 0 22 ? * SUN", timeZone = "America/Los_Angeles", window = "01:00:00" };
        var schedule = await CreateScheduleAsync(scheduleBody with { name = "matrix-target" });

        Endpoint[] endpoints =
        [
            new("GET", "/api/v1/masters", Role.Viewer),
            new("GET", $"/api/v1/masters/{master}", Role.Viewer),
            new("GET", "/api/v1/inventory", Role.Viewer),
            new("GET", "/api/v1/campaigns", Role.Viewer),
            new("GET", $"/api/v1/campaigns/{campaign}", Role.Viewer),
            new("POST", "/api/v1/campaigns/preview", Role.Operator, request),
            new("POST", "/api/v1/campaigns", Role.Operator, request),
            new("POST", $"/api/v1/campaigns/{campaign}/pause", Role.Operator, new { }),
            new("POST", $"/api/v1/campaigns/{campaign}/resume", Role.Operator, new { }),
            new("POST", $"/api/v1/campaigns/{campaign}/masters/{master}/escalate", Role.Operator),
            new("POST", $"/api/v1/campaigns/{campaign}/masters/{master}/retry", Role.Operator),
            new("POST", $"/api/v1/campaigns/{campaign}/masters/{master}/skip", Role.Operator),
            new("POST", $"/api/v1/campaigns/{campaign}/approve", Role.Operator, new { }),
            new("POST", $"/api/v1/campaigns/{campaign}/abort", Role.Operator, new { reason = "matrix" }),
            new("GET", "/api/v1/schedules", Role.Viewer),
            new("GET", $"/api/v1/schedules/{schedule}", Role.Viewer),
            new("GET", $"/api/v1/schedules/{schedule}/preview", Role.Viewer),
            new("GET", "/api/v1/schedules/preview?cron=0%200%2022%20%3F%20*%20SUN&timeZone=UTC", Role.Viewer),
            new("POST", "/api/v1/schedules", Role.Operator, scheduleBody),
            new("PUT", $"/api/v1/schedules/{schedule}", Role.Operator, scheduleBody with { name = "matrix-target" }),
            new("POST", $"/api/v1/schedules/{schedule}/disable", Role.Operator),
            new("POST", $"/api/v1/schedules/{schedule}/enable", Role.Operator),
            new("POST", $"/api/v1/schedules/{schedule}/run", Role.Operator),
            new("GET", "/api/v1/calendars/excluded-dates", Role.Viewer),
            new("POST", "/api/v1/calendars/excluded-dates", Role.Operator, new { date = "2026-12-25", reason = "holiday" }),
            new("DELETE", "/api/v1/calendars/excluded-dates/2026-12-25", Role.Operator),
            new("DELETE", $"/api/v1/schedules/{schedule}", Role.Operator),
            new("GET", "/api/v1/audit?kind=auth.", Role.Viewer),
            new("GET", "/api/v1/audit/csv", Role.Viewer),
            new("GET", "/api/v1/tokens", Role.Admin),
            new("POST", "/api/v1/tokens", Role.Admin, new { name = "matrix", role = "viewer" }),
            new("DELETE", $"/api/v1/tokens/{dummyToken}", Role.Admin),
            new("GET", "/api/v1/users", Role.Admin),
            new("POST", "/api/v1/users", Role.Admin, new { name = "matrix-user", password = "a-long-enough-password", role = "viewer" }),
            new("POST", "/api/v1/users/dummy-user/disable", Role.Admin),
            new("POST", "/api/v1/users/dummy-user/enable", Role.Admin),
            new("POST", "/api/v1/users/dummy-user/role", Role.Admin, new { role = "operator" }),
            new("GET", "/api/v1/sync", Role.Viewer),
            new("GET", "/api/v1/freeze", Role.Viewer),
            new("PUT", "/api/v1/freeze", Role.Operator, new { reason = "matrix" }),
            new("DELETE", "/api/v1/freeze?reason=matrix", Role.Operator),
            new("GET", "/api/v1/revisions/live?repo=buildbot-configs&revision=abc123", Role.Viewer),
            new("GET", "/api/v1/checks/nagios", Role.Viewer),
            new("GET", "/api/v1/workers", Role.Viewer),
            new("GET", "/api/v1/workers/matrix-worker", Role.Viewer),
            new("POST", "/api/v1/workers/matrix-worker/pause", Role.Operator, new { reason = "matrix" }),
            new("POST", "/api/v1/workers/matrix-worker/unpause", Role.Operator, new { reason = "matrix" }),
            new("POST", "/api/v1/workers/matrix-worker/gracefulShutdown", Role.Operator, new { reason = "matrix" }),
            new("POST", "/api/v1/workers/matrix-worker/kill", Role.Operator, new { reason = "matrix" }),
            new("PUT", "/api/v1/workers/matrix-worker/expectedIdle", Role.Operator, new { reason = "matrix", until = "2099-01-01T00:00:00Z" }),
            new("DELETE", "/api/v1/workers/matrix-worker/expectedIdle", Role.Operator),
            new("GET", "/api/v1/builds?running=true", Role.Viewer),
            new("GET", "/api/v1/checks/nagios/workers", Role.Viewer),
            new("GET", "/api/v1/production", Role.Viewer),
            new("POST", "/api/v1/workers/matrix-worker/cycle", Role.Reporter, new { phase = "preflight", detail = "matrix" }),
        ];

        var (revokedId, revokedSecret) = await host.CreateTokenAsync("revoked", Role.Admin);
        await host.Services.GetRequiredService<TokenService>().RevokeAsync(revokedId, "test", CancellationToken.None);
        var clients = new Dictionary<Caller, HttpClient>
        {
            [Caller.Anonymous] = host.NewClient(),
            [Caller.Viewer] = host.NewClient((await host.CreateTokenAsync("viewer", Role.Viewer)).Secret),
            [Caller.Operator] = host.NewClient((await host.CreateTokenAsync("operator", Role.Operator)).Secret),
            [Caller.Admin] = host.NewClient((await host.CreateTokenAsync("admin", Role.Admin)).Secret),
            [Caller.Reporter] = host.NewClient((await host.CreateTokenAsync("reporter", Role.Reporter)).Secret),
            [Caller.Revoked] = host.NewClient(revokedSecret),
        };

        var failures = new List<string>();
        foreach (var caller in Enum.GetValues<Caller>())
        {
            foreach (var e in endpoints)
            {
                using var msg = new HttpRequestMessage(new HttpMethod(e.Method), e.Path) { Content = e.Body is null ? null : JsonContent.Create(e.Body) };
                using var resp = await clients[caller].SendAsync(msg);
                var status = (int)resp.StatusCode;
                var ok = Expected(caller, e.Needs) switch
                {
                    401 => status == 401,
                    403 => status == 403,
                    // Allowed: any answer but an authentication or authorization refusal (404, 409 for a state that forbids the action).
                    // The Nagios check answers CRITICAL as 503 by contract.
                    _ => status is not (401 or 403) && (status < 500 || status == 503 && e.Path.StartsWith("/api/v1/checks/", StringComparison.Ordinal)),
                };
                if (!ok)
                {
                    failures.Add($"{caller,-9} {e.Method,-6} {e.Path}: {status}, expected {Expected(caller, e.Needs)}");
                }
            }
        }

        foreach (var c in clients.Values)
        {
            c.Dispose();
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    // A reporter (wrangler-runner's token) may send cycle reports and nothing else; nobody else may send them.
    private static int Expected(Caller caller, Role needs) => caller switch
    {
        Caller.Anonymous or Caller.Revoked => 401,
        Caller.Reporter => needs == Role.Reporter ? 200 : 403,
        _ when needs == Role.Reporter => 403,
        Caller.Viewer => needs == Role.Viewer ? 200 : 403,
        Caller.Operator => needs <= Role.Operator ? 200 : 403,
        _ => 200,
    };

    [Fact]
    public async Task A_reporter_token_is_made_like_any_other_but_sends_only_cycle_reports_and_no_account_is_a_reporter()
    {
        using var create = await host.Client.PostAsJsonAsync("/api/v1/tokens", new { name = "tst-linux64-001-runner", role = "reporter" });
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var created = await create.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("reporter", created.GetProperty("role").GetString());
        using var runner = host.NewClient(created.GetProperty("token").GetString()!);

        using (var sent = await runner.PostAsJsonAsync("/api/v1/workers/tst-linux64-001/cycle", new { phase = "preflight", detail = "cycle 1", at = DateTimeOffset.UtcNow }))
        {
            Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        }

        using (var bad = await runner.PostAsJsonAsync("/api/v1/workers/tst-linux64-001/cycle", new { phase = "rebooted" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("phase must be one of", await bad.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await runner.GetAsync("/api/v1/workers")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Client.PostAsJsonAsync("/api/v1/users", new { name = "rita", password = "a-long-enough-password", role = "reporter" })).StatusCode);
        await host.CreateUserAsync("rita-role", Role.Viewer);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Client.PostAsJsonAsync("/api/v1/users/rita-role/role", new { role = "reporter" })).StatusCode);
    }

    [Fact]
    public async Task Health_openapi_and_login_stay_anonymous_and_pages_redirect_to_login()
    {
        using var anon = host.NewClient();
        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync("/openapi/v1.json")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync("/login")).StatusCode);
        foreach (var page in new[] { "/", "/campaigns", "/audit", "/campaigns/new", "/schedules", "/production" })
        {
            var resp = await anon.GetAsync(page);
            Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
            Assert.StartsWith("/login", resp.Headers.Location!.AbsolutePath);
        }

        var api = await anon.GetAsync("/api/v1/masters");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("Bearer", api.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Token_last_use_is_recorded_and_revocation_is_immediate()
    {
        using var create = await host.Client.PostAsJsonAsync("/api/v1/tokens", new { name = "ci", role = "operator" });
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var created = await create.Content.ReadFromJsonAsync<JsonElement>();
        var secret = created.GetProperty("token").GetString()!;
        var id = created.GetProperty("id").GetInt64();

        using var ci = host.NewClient(secret);
        Assert.Equal(HttpStatusCode.OK, (await ci.GetAsync("/api/v1/masters")).StatusCode);
        var listed = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/tokens"))!.Single(t => t.GetProperty("id").GetInt64() == id);
        Assert.Equal(JsonValueKind.String, listed.GetProperty("lastUsedAt").ValueKind);
        Assert.DoesNotContain(secret, listed.ToString());

        Assert.Equal(HttpStatusCode.OK, (await host.Client.DeleteAsync($"/api/v1/tokens/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ci.GetAsync("/api/v1/masters")).StatusCode);

        var kinds = await AuditKindsAsync();
        Assert.Contains("auth.token.create", kinds);
        Assert.Contains("auth.token.revoke", kinds);
    }

    [Fact]
    public async Task A_signed_in_cookie_reads_the_api_but_cannot_write_through_it()
    {
        using var browser = new SignedInClient(host);
        await browser.SignInAsync(AppHost.OperatorName, host.OperatorPassword);
        Assert.Equal(HttpStatusCode.OK, (await browser.Client.GetAsync("/api/v1/masters")).StatusCode);
        // A cross-site form or fetch carries only the cookie; writes need a bearer token, so it is refused.
        using var forged = await browser.Client.PostAsJsonAsync("/api/v1/campaigns/preview", new { kind = "restart", selector = new { roles = new[] { "tests" } } });
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task Login_without_the_antiforgery_token_is_refused()
    {
        using var anon = host.NewClient();
        using var resp = await anon.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = AppHost.OperatorName, ["password"] = host.OperatorPassword }));
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.DoesNotContain(resp.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith("wrangler.auth", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ten_wrong_passwords_in_a_row_are_slowed_down_and_audited()
    {
        var password = await host.CreateUserAsync("mallory-target", Role.Viewer);
        using var browser = new SignedInClient(host);
        var statuses = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            using var resp = await browser.PostLoginAsync("mallory-target", $"guess-{i}");
            statuses.Add((int)resp.StatusCode);
            if (i >= 5)
            {
                Assert.True(resp.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"attempt {i + 1}: no Retry-After");
            }
        }

        Assert.Equal([401, 401, 401, 401, 401, 429, 429, 429, 429, 429], statuses);

        // Locked out: even the right password is not checked until the lockout ends.
        using (var right = await browser.PostLoginAsync("mallory-target", password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        }

        var kinds = await AuditKindsAsync("mallory-target");
        Assert.Equal(5, kinds.Count(k => k == "auth.signin.failed"));
        Assert.Equal(6, kinds.Count(k => k == "auth.signin.throttled"));

        // The same, as the audit filter and its CSV export show them.
        var filtered = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/audit?actor=mallory-target&kind=auth.signin"))!;
        Assert.Equal(11, filtered.Length);
        var csv = await host.Client.GetStringAsync("/api/v1/audit/csv?actor=mallory-target&kind=auth.signin.failed");
        Assert.Equal(6, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("at,actor,kind,subject,detail", csv);
    }

    [Fact]
    public async Task A_successful_sign_in_sets_a_strict_httponly_cookie_and_is_audited()
    {
        using var browser = new SignedInClient(host);
        using var resp = await browser.PostLoginAsync(AppHost.OperatorName, host.OperatorPassword);
        Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
        var cookie = resp.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("wrangler.auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("auth.signin", await AuditKindsAsync(AppHost.OperatorName));
    }

    [Fact]
    public async Task An_admin_changes_a_role_a_session_follows_it_and_nobody_disables_or_demotes_themselves()
    {
        var password = await host.CreateUserAsync("rory-role", Role.Viewer);
        using var browser = new SignedInClient(host);
        await browser.SignInAsync("rory-role", password);
        Assert.Equal(HttpStatusCode.OK, (await browser.Client.GetAsync("/api/v1/masters")).StatusCode);
        var listed = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/users"))!.Single(u => u.GetProperty("name").GetString() == "rory-role");
        Assert.Equal(JsonValueKind.String, listed.GetProperty("lastSignInAt").ValueKind);

        using (var resp = await host.Client.PostAsJsonAsync("/api/v1/users/rory-role/role", new { role = "operator" }))
        {
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            Assert.Equal("operator", (await resp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
        }

        // The session's role no longer matches the account: it ends at its next request.
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.Client.GetAsync("/api/v1/masters")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Client.PostAsJsonAsync("/api/v1/users/rory-role/role", new { role = "root" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Client.PostAsJsonAsync("/api/v1/users/rory-role/role", new { role = 7 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.PostAsJsonAsync("/api/v1/users/nobody-here/role", new { role = "viewer" })).StatusCode);

        var accounts = host.Services.GetRequiredService<AccountService>();
        await Assert.ThrowsAsync<AuthRefusedException>(() => accounts.SetRoleAsync(AppHost.AdminName, Role.Operator, AppHost.AdminName, CancellationToken.None));
        await Assert.ThrowsAsync<AuthRefusedException>(() => accounts.SetDisabledAsync(AppHost.AdminName, true, AppHost.AdminName, CancellationToken.None));
        Assert.Equal(Role.Admin, (await accounts.FindAsync(AppHost.AdminName, CancellationToken.None))!.Role);
        var kinds = await AuditKindsAsync("bootstrap");
        Assert.Single(kinds, k => k == "auth.user.role");
    }

    private async Task<long> CreateCampaignAsync(string master)
    {
        using var resp = await host.Client.PostAsJsonAsync("/api/v1/campaigns", new { kind = "gracefulRestart", selector = new { names = new[] { master } } });
        Assert.Equal(HttpStatusCode.Created, resp.StatusCode);
        return (await resp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<long> CreateScheduleAsync(object body)
    {
        using var resp = await host.Client.PostAsJsonAsync("/api/v1/schedules", body);
        Assert.True(resp.StatusCode == HttpStatusCode.Created, await resp.Content.ReadAsStringAsync());
        return (await resp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private async Task<List<string>> AuditKindsAsync(string? actor = null)
    {
        var dbs = host.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Wrangler.Core.Persistence.WranglerDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        return [.. db.AuditEvents.Where(e => actor == null || e.Actor == actor).OrderBy(e => e.Id).Select(e => e.Kind)];
    }
}
