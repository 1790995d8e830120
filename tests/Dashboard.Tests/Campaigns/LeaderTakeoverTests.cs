using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Wrangler.Dashboard.Tests.Auth;
using static Wrangler.Dashboard.Tests.Campaigns.CampaignLabFixture;

namespace Wrangler.Dashboard.Tests.Campaigns;

/// <summary>
/// Two Wrangler processes on one database (docs/ha.md): the follower refuses writes naming the leader; the leader is
/// SIGKILLed in the middle of a drain; the follower takes over within a minute and finishes the campaign, asking the
/// master to stop once.
/// </summary>
[Collection("campaign-lab")]
public sealed partial class LeaderTakeoverTests(CampaignLabFixture f)
{
    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> Output = new();

    [Fact]
    public async Task The_leader_killed_during_a_drain_the_follower_takes_over_within_a_minute_and_the_master_shuts_down_once()
    {
        var m = f.Lab.Master("bm02-tests1-linux32");
        var dir = Directory.CreateTempSubdirectory("wrangler-takeover-").FullName;
        var dbPath = Path.Combine(dir, "wrangler.db");
        string[] Args(string url, string name) =>
        [
            "--urls", url, $"--Wrangler:Database={dbPath}", "--Wrangler:PollInterval=00:00:02", $"--Wrangler:Auth:BootstrapToken={AppHost.BootstrapToken}",
            $"--Wrangler:Instance={name}", $"--Wrangler:Auth:Admin:Name={AppHost.AdminName}", $"--Wrangler:Auth:Admin:Password={AdminPassword}",
            .. f.Lab.SettingsArgs,
        ];
        var urlA = $"http://127.0.0.1:{Lab.LoopbackPorts.Next()}";
        var urlB = $"http://127.0.0.1:{Lab.LoopbackPorts.Next()}";
        using var a = Client(urlA);
        using var b = Client(urlB);
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        Process? leader = null;
        Process? follower = null;
        try
        {
            leader = WranglerProcess.Start(Args(urlA, "wrangler-a"), Output);
            await WranglerProcess.WaitHealthyAsync(a, Output);
            follower = WranglerProcess.Start(Args(urlB, "wrangler-b"), Output);
            await WranglerProcess.WaitHealthyAsync(b, Output);

            var seen = await b.GetFromJsonAsync<JsonElement>("/api/v1/instance");
            Assert.False(seen.GetProperty("leading").GetBoolean(), seen.ToString());
            Assert.Equal("wrangler-a", seen.GetProperty("leader").GetString());
            Assert.True((await a.GetFromJsonAsync<JsonElement>("/api/v1/instance")).GetProperty("leading").GetBoolean());

            var body = new { kind = "gracefulRestart", selector = new { names = new[] { m.Name } } };
            using (var refused = await b.PostAsJsonAsync("/api/v1/campaigns", body))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Contains("wrangler-a", problem.GetProperty("title").GetString());
                Assert.Equal("wrangler-a", problem.GetProperty("leader").GetString());
            }

            // The pages refuse what the API refuses: a person signed in on the follower sees every write button
            // disabled, with the refusal as its tooltip (docs/ha.md).
            await FollowerPagesAreReadOnlyAsync(new Uri(urlB));

            // Held until after the take-over: the drain is under way when the leader dies, however slow the machine.
            using var held = await f.Lab.HoldBuildAsync(m);
            await f.WaitForMasterAsync(m.Name, j => j.GetProperty("runningBuilds").GetInt32() >= 1, "a running build", TimeSpan.FromSeconds(20));
            using var created = await a.PostAsJsonAsync("/api/v1/campaigns", body);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            (await a.PostAsJsonAsync($"/api/v1/campaigns/{id}/approve", new { })).EnsureSuccessStatusCode();
            await WaitAsync(a, $"/api/v1/campaigns/{id}", c => Step(Master(c, m.Name), "drain").GetProperty("detail").GetString()?.StartsWith("draining for", StringComparison.Ordinal) == true,
                "the drain under way", TimeSpan.FromSeconds(150));

            leader.Kill(entireProcessTree: true);
            await leader.WaitForExitAsync();
            var killed = Stopwatch.StartNew();
            await WaitAsync(b, "/api/v1/instance", j => j.GetProperty("leading").GetBoolean(), "the follower leading", TimeSpan.FromMinutes(1));
            Assert.True(killed.Elapsed < TimeSpan.FromMinutes(1), $"took over after {killed.Elapsed}");

            held.Release();
            var done = await WaitAsync(b, $"/api/v1/campaigns/{id}", c => State(c) is "succeeded" or "failed" or "parked", "the end after the take-over", TimeSpan.FromMinutes(3));
            Assert.True(State(done) == "succeeded", done.ToString());

            // The build the drain waited for finished normally: the master was asked to stop once, by one instance.
            Assert.Equal(0, await f.Lab.WaitForBuildAsync(m, held.Request, TimeSpan.FromSeconds(30)));
            Assert.Equal(1, CleanShutdownsSince(m, since));

            Assert.Equal(0L, await OpenLedgerRowsAsync(dbPath));
            await f.WaitForMasterAsync(m.Name, j => State(j) == "running", "running", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await WranglerProcess.KillAllAsync(leader, follower);

            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private const string AdminPassword = "takeover-admin-password-1";

    private static async Task FollowerPagesAreReadOnlyAsync(Uri follower)
    {
        using var person = new SignedInClient(follower);
        await person.SignInAsync(AppHost.AdminName, AdminPassword);

        // The follower's own tracker lists the workers once it has looked at the masters.
        var workers = "";
        var seen = Stopwatch.StartNew();
        while (!workers.Contains("data-action=\"pause\"", StringComparison.Ordinal))
        {
            Assert.True(seen.Elapsed < TimeSpan.FromSeconds(30), "no worker row with buttons on the follower's workers page: " + workers);
            await Task.Delay(500);
            workers = await person.Client.GetStringAsync("/workers");
        }

        var admin = await person.Client.GetStringAsync("/admin");
        foreach (var (page, html, minimum) in new[] { ("/workers", workers, 4), ("/admin", admin, 2) })
        {
            Assert.Contains("id=\"lease-banner\"", html);
            var buttons = WriteButton().Matches(html).Select(b => b.Value).ToList();
            Assert.True(buttons.Count >= minimum, $"{page}: {buttons.Count} write buttons found");
            Assert.All(buttons, b => Assert.Matches(" disabled[ =>]", b));
            Assert.All(buttons, b => Assert.Contains("read-only follower", b));
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("<button[^>]*(data-action=\"[A-Za-z]+\"|id=\"create-(token|user)\")[^>]*>")]
    private static partial System.Text.RegularExpressions.Regex WriteButton();

    private static HttpClient Client(string url)
    {
        var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AppHost.BootstrapToken);
        return http;
    }

    private static async Task<JsonElement> WaitAsync(HttpClient http, string path, Func<JsonElement, bool> condition, string what, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetFromJsonAsync<JsonElement>(path);
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"{path}: {what} not seen within {within}; last: {last}; output:\n" + string.Join("\n", Output.TakeLast(30)));
    }
}
