using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Wrangler.Dashboard.Tests.Auth;

namespace Wrangler.Dashboard.Tests.Hardening;

/// <summary>Sign-in with a returnUrl a browser would read as another site, and names that differ only in case or hide a bidi override.</summary>
public sealed class SignInAndNamesTests : IAsyncLifetime
{
    private AppHost host = null!;

    public async Task InitializeAsync() => host = await AppHost.StartAsync("--Wrangler:Demo:Seed=3");

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Theory]
    [InlineData("/\t/evil.example")]
    [InlineData("/\n/evil.example")]
    [InlineData("/\r\n//evil.example")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    public async Task A_correct_sign_in_with_a_foreign_returnUrl_lands_on_the_fleet_not_a_500(string returnUrl)
    {
        using (var page = await host.NewClient().GetAsync($"/login?returnUrl={Uri.EscapeDataString(returnUrl)}"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("name=\"returnUrl\" value=\"/\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var browser = new SignedInClient(host);
        using var resp = await browser.PostLoginAsync(AppHost.OperatorName, host.OperatorPassword, returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
        Assert.Equal("/", resp.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_local_returnUrl_is_still_followed()
    {
        using var browser = new SignedInClient(host);
        using var resp = await browser.PostLoginAsync(AppHost.OperatorName, host.OperatorPassword, "/campaigns?x=1");
        Assert.Equal("/campaigns?x=1", resp.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_megabyte_password_fails_like_a_wrong_one_and_is_refused_at_creation()
    {
        using var browser = new SignedInClient(host);
        using (var resp = await browser.PostLoginAsync(AppHost.OperatorName, new string('p', 1 << 20)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
            Assert.Contains("Wrong name or password", await resp.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var problem = await RefusedAsync("/api/v1/users", new { name = "long-pass", password = new string('p', 300_000), role = "viewer" }, HttpStatusCode.BadRequest);
        Assert.Equal("password must be at most 256 characters (was 300000)", problem);
    }

    [Fact]
    public async Task Account_and_schedule_names_are_unique_without_regard_to_case()
    {
        Assert.Equal(
            $"name: '{AppHost.AdminName.ToUpperInvariant()}' differs only in case from the account '{AppHost.AdminName}'; names are unique without regard to case",
            await RefusedAsync("/api/v1/users", new { name = AppHost.AdminName.ToUpperInvariant(), password = "a-long-enough-password", role = "viewer" }, HttpStatusCode.Conflict));
        Assert.Equal($"name: an account named '{AppHost.AdminName}' exists",
            await RefusedAsync("/api/v1/users", new { name = AppHost.AdminName, password = "a-long-enough-password", role = "viewer" }, HttpStatusCode.Conflict));

        var schedule = new { name = "Nightly builders", kind = "restart", selector = new { roles = new[] { "build" } }, cron = "0 0 22 ? * SUN", timeZone = "UTC", window = "01:00:00" };
        using (var created = await host.Client.PostAsJsonAsync("/api/v1/schedules", schedule))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        Assert.Equal("name: \"NIGHTLY BUILDERS\" differs only in case from the schedule \"Nightly builders\"; names are unique without regard to case",
            await RefusedAsync("/api/v1/schedules", schedule with { name = "NIGHTLY BUILDERS" }, HttpStatusCode.Conflict));
    }

    [Theory]
    [InlineData("/api/v1/users")]
    [InlineData("/api/v1/tokens")]
    [InlineData("/api/v1/schedules")]
    public async Task A_name_hiding_a_right_to_left_override_is_refused(string path)
    {
        object body = path.EndsWith("schedules", StringComparison.Ordinal)
            ? new { name = "\u202enimda", kind = "restart", selector = new { roles = new[] { "build" } }, cron = "0 0 22 ? * SUN", timeZone = "UTC", window = "01:00:00" }
            : new { name = "\u202enimda", password = "a-long-enough-password", role = "viewer" };
        var problem = await RefusedAsync(path, body, HttpStatusCode.BadRequest);
        Assert.StartsWith("name must not contain control or invisible formatting characters (found U+202E at position 1)", problem);
    }

    [Fact]
    public async Task Reasons_with_control_characters_or_over_500_characters_are_refused_everywhere_they_are_typed()
    {
        var master = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))![0].GetProperty("name").GetString()!;
        Assert.Equal("reason must be at most 500 characters (was 1000000)",
            await RefusedAsync("/api/v1/campaigns", new { kind = "restart", selector = new { names = new[] { master } }, reason = new string('r', 1_000_000) }, HttpStatusCode.BadRequest));
        Assert.StartsWith("reason must not contain control characters or bidi overrides (found U+0000",
            await RefusedAsync("/api/v1/campaigns", new { kind = "restart", selector = new { names = new[] { master } }, reason = "nul\0here" }, HttpStatusCode.BadRequest));
        Assert.StartsWith("reason must not contain control characters",
            await RefusedAsync("/api/v1/freeze", new { reason = "bell\u0007" }, HttpStatusCode.BadRequest, HttpMethod.Put));

        using var created = await host.Client.PostAsJsonAsync("/api/v1/campaigns", new { kind = "restart", selector = new { names = new[] { master } } });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        Assert.Equal("reason must be at most 500 characters (was 501)",
            await RefusedAsync($"/api/v1/campaigns/{id}/abort", new { reason = new string('r', 501) }, HttpStatusCode.BadRequest));
    }

    private async Task<string> RefusedAsync(string path, object body, HttpStatusCode expected, HttpMethod? method = null)
    {
        using var resp = await host.Client.SendAsync(new HttpRequestMessage(method ?? HttpMethod.Post, path) { Content = JsonContent.Create(body) });
        var text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == expected, $"{path}: {(int)resp.StatusCode} {text}");
        Assert.Equal("application/problem+json", resp.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.GetProperty("title").GetString()!;
    }
}
