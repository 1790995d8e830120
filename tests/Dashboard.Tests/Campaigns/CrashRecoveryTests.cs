using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Wrangler.Dashboard.Tests.Fleet;
using static Wrangler.Dashboard.Tests.Campaigns.CampaignLabFixture;

namespace Wrangler.Dashboard.Tests.Campaigns;

/// <summary>Wrangler killed with SIGKILL in the middle of a drain, then started again on the same database.</summary>
// On the schedule tests' lab, not the campaign tests': it brings its own Wrangler, and the campaign lab's collection
// was the one the whole suite waited for (.ci/run prints the slowest tests).
[Collection("schedule-lab")]
public sealed class CrashRecoveryTests(CampaignLabFixture f)
{
    [Fact]
    public async Task Killed_during_a_drain_the_restarted_Wrangler_finishes_the_campaign_once_and_leaves_nothing_behind()
    {
        var m = f.Lab.Master("bm02-tests1-linux32");
        var dir = Directory.CreateTempSubdirectory("wrangler-crash-").FullName;
        var dbPath = Path.Combine(dir, "wrangler.db");
        var port = Lab.LoopbackPorts.Next();
        var baseUrl = $"http://127.0.0.1:{port}";
        string[] args =
        [
            "--urls", baseUrl, $"--Wrangler:Database={dbPath}", "--Wrangler:PollInterval=00:00:02", $"--Wrangler:Auth:BootstrapToken={AppHost.BootstrapToken}",
            .. f.Lab.SettingsArgs,
        ];
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AppHost.BootstrapToken);
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var first = WranglerProcess.Start(args, Output);
        Process? second = null;
        try
        {
            await WranglerProcess.WaitHealthyAsync(http, Output);
            // Held until after the restart: the drain is under way when the first Wrangler dies, however slow the machine.
            using var held = await f.Lab.HoldBuildAsync(m);
            await f.WaitForMasterAsync(m.Name, j => j.GetProperty("runningBuilds").GetInt32() >= 1, "a running build", TimeSpan.FromSeconds(20));

            using var created = await http.PostAsJsonAsync("/api/v1/campaigns", new { kind = "gracefulRestart", selector = new { names = new[] { m.Name } } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            (await http.PostAsJsonAsync($"/api/v1/campaigns/{id}/approve", new { })).EnsureSuccessStatusCode();

            // Kill it once the drain is under way (the clean shutdown has been asked for).
            await WaitAsync(http, id, c => Step(Master(c, m.Name), "drain").GetProperty("detail").GetString()?.StartsWith("draining for", StringComparison.Ordinal) == true,
                "the drain under way", TimeSpan.FromSeconds(150));
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();

            second = WranglerProcess.Start(args, Output);
            await WranglerProcess.WaitHealthyAsync(http, Output);
            held.Release();
            var done = await WaitAsync(http, id, c => State(c) is "succeeded" or "failed" or "parked", "the end after the restart", TimeSpan.FromMinutes(3));
            Assert.True(State(done) == "succeeded", done.ToString());

            // The build the drain waited for finished normally: the master was not hard-stopped, and asked to stop once.
            Assert.Equal(0, await f.Lab.WaitForBuildAsync(m, held.Request, TimeSpan.FromSeconds(30)));
            Assert.Equal(1, CleanShutdownsSince(m, since));

            Assert.Equal(0L, await OpenLedgerRowsAsync(dbPath));
            await f.WaitForMasterAsync(m.Name, j => State(j) == "running", "running", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await WranglerProcess.KillAllAsync(first, second);

            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> Output = new();

    private static async Task<JsonElement> WaitAsync(HttpClient http, long id, Func<JsonElement, bool> condition, string what, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"campaign {id}: {what} not seen within {within}; last: {last}");
    }
}
