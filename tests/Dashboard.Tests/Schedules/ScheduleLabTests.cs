using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Wrangler.Dashboard.Tests.Campaigns;
using Wrangler.Dashboard.Tests.Fleet;
using static Wrangler.Dashboard.Tests.Campaigns.CampaignLabFixture;

namespace Wrangler.Dashboard.Tests.Schedules;

/// <summary>Schedules fired by Quartz inside the real app, starting campaigns on the real lab. Near-future fire times, real clock.</summary>
[Collection("schedule-lab")]
public sealed class ScheduleLabTests(CampaignLabFixture f)
{
    [Fact]
    public async Task A_schedule_set_to_fire_seconds_ahead_starts_a_pre_approved_campaign_that_restarts_a_lab_master()
    {
        // A whole second: the cron names seconds, and Quartz 4 fires at the named second itself.
        var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddSeconds(15).ToUnixTimeSeconds());
        var id = await CreateScheduleAsync(f.App.Client, new
        {
            name = "lab try restart", kind = "restart", selector = new { names = new[] { "bm05-try1" } }, cron = CronAt(at), timeZone = "UTC", window = "00:10:00",
        });
        try
        {
            var run = await WaitForRunAsync(f.App.Client, id, TimeSpan.FromSeconds(60));
            var done = await f.WaitForCampaignAsync(run, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", "the end", TimeSpan.FromMinutes(3));
            Assert.True(State(done) == "succeeded", done.ToString());
            Assert.Equal(id, done.GetProperty("scheduleId").GetInt64());
            Assert.Equal("schedule lab try restart", done.GetProperty("createdBy").GetString());
            // The schedule's owner (who created it, here with the bootstrap token) is the approver.
            Assert.Equal("bootstrap", done.GetProperty("approvedBy").GetString());
            Assert.True(done.GetProperty("createdAt").GetDateTimeOffset() >= at.AddMilliseconds(-500), $"fired early: {done.GetProperty("createdAt")} for {at:O}");
            Assert.Equal(at.ToUnixTimeSeconds() + 600, done.GetProperty("notAfter").GetDateTimeOffset().ToUnixTimeSeconds());

            var schedule = await f.App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{id}");
            var last = schedule.GetProperty("lastRuns")[0];
            Assert.Equal(run, last.GetProperty("campaignId").GetInt64());
            Assert.Equal("succeeded", State(last));
            var audit = await AuditAsync(f.App.Client, "schedule.fired");
            Assert.Contains(audit, e => e.GetProperty("subject").GetString() == $"schedule {id}" && e.GetProperty("detail").GetString()!.Contains($"campaign {run}", StringComparison.Ordinal));
            await f.WaitForMasterAsync("bm05-try1", j => State(j) == "running", "running", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await f.App.Client.DeleteAsync($"/api/v1/schedules/{id}");
        }
    }

    [Fact]
    public async Task At_the_window_cutoff_masters_not_yet_started_are_skipped_and_named_while_the_one_in_flight_finishes()
    {
        var bucket = new[] { "bm01-tests1-linux32", "bm02-tests1-linux32", "bm03-tests1-linux32" };
        var at = DateTimeOffset.UtcNow.AddSeconds(12);
        var id = await CreateScheduleAsync(f.App.Client, new
        {
            name = "lab window", kind = "restart", selector = new { buckets = new[] { "tests1-linux32" } }, policy = new { perBucket = 1 },
            cron = CronAt(at), timeZone = "UTC", window = "00:00:05",
        });
        try
        {
            var run = await WaitForRunAsync(f.App.Client, id, TimeSpan.FromSeconds(60));
            var done = await f.WaitForCampaignAsync(run, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", "the end", TimeSpan.FromMinutes(3));
            Assert.True(State(done) == "succeeded", done.ToString());
            var states = bucket.ToDictionary(n => n, n => State(Master(done, n)));
            var finished = Assert.Single(states, s => s.Value == "succeeded").Key;
            var skipped = states.Where(s => s.Value == "skipped").Select(s => s.Key).ToList();
            Assert.Equal(2, skipped.Count);
            foreach (var n in skipped)
            {
                Assert.Contains("window closed", Master(done, n).GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.Contains(n, done.GetProperty("stateDetail").GetString(), StringComparison.Ordinal);
                // A pre-check run ahead leaves its master in service (docs/campaigns.md, "Pre-checks run ahead"); no
                // other step ran.
                Assert.All(Master(done, n).GetProperty("steps").EnumerateArray(), s =>
                {
                    if (s.GetProperty("name").GetString() == "preCheck" && State(s) == "succeeded")
                    {
                        Assert.Contains("(run ahead)", s.GetProperty("detail").GetString(), StringComparison.Ordinal);
                    }
                    else
                    {
                        Assert.Equal("pending", State(s));
                    }
                });
            }

            // The one in flight at the cutoff went on past it and finished every step.
            var inFlight = Master(done, finished);
            Assert.All(inFlight.GetProperty("steps").EnumerateArray(), s => Assert.Equal("succeeded", State(s)));
            Assert.True(Step(inFlight, "endDowntime").GetProperty("endedAt").GetDateTimeOffset() > done.GetProperty("notAfter").GetDateTimeOffset(),
                "the first master finished before the window closed, so the test proved nothing about in-flight masters");
            Assert.Contains(await AuditAsync(f.App.Client, "campaign.windowClosed"), e => e.GetProperty("subject").GetString() == $"campaign {run}");
            await f.Lab.Allocator!.WaitForAsync(a => a.Webhooks.Any(w => w.Contains("\"windowClosed\"", StringComparison.Ordinal) && w.Contains($"\"campaignId\":{run}", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(10));
        }
        finally
        {
            await f.App.Client.DeleteAsync($"/api/v1/schedules/{id}");
        }
    }

    [Fact]
    public async Task An_unattended_campaign_held_by_a_drain_timeout_says_so_in_the_audit_log_the_webhook_and_the_schedule()
    {
        var m = f.Lab.Master("bm02-tests1-linux32");
        var id = await CreateScheduleAsync(f.App.Client, new
        {
            name = "lab held", kind = "gracefulRestart", selector = new { names = new[] { m.Name } }, policy = new { drainTimeout = "00:00:03", onDrainTimeout = "hold" },
            cron = "0 0 22 ? * SUN", timeZone = "America/Los_Angeles", window = "01:00:00",
        });
        try
        {
            using var build = await f.Lab.HoldBuildAsync(m); // held until the test ends: the drain must time out
            await f.WaitForMasterAsync(m.Name, j => j.GetProperty("runningBuilds").GetInt32() >= 1, "a running build", TimeSpan.FromSeconds(20));
            using var resp = await f.App.Client.PostAsJsonAsync($"/api/v1/schedules/{id}/run", new { });
            Assert.True(resp.StatusCode == HttpStatusCode.Created, await resp.Content.ReadAsStringAsync());
            var run = (await resp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            await f.WaitForCampaignAsync(run, c => State(Master(c, m.Name)) == "held", "the drain held", TimeSpan.FromSeconds(90));

            await WaitAsync(async () => (await AuditAsync(f.App.Client, "schedule.stopped")).Any(e => e.GetProperty("subject").GetString() == $"campaign {run}"), "schedule.stopped in the audit log");
            await f.Lab.Allocator!.WaitForAsync(a => a.Webhooks.Any(w => w.Contains("\"unattendedStopped\"", StringComparison.Ordinal) && w.Contains("lab held", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(10));
            var schedule = await f.App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{id}");
            Assert.Equal(run, schedule.GetProperty("stopped").GetProperty("campaignId").GetInt64());

            // Where buildduty looks on Monday morning: the Schedules page and the Campaigns list, in red, with a link.
            var (playwright, browser) = await Browser.Browser.LaunchAsync();
            try
            {
                var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 } });
                await Browser.Browser.SignInAsync(page, f.App.BaseAddress, AppHost.OperatorName, f.App.OperatorPassword, "/schedules");
                var banner = page.Locator($".wr-stopped[data-schedule='{id}']");
                await Microsoft.Playwright.Assertions.Expect(banner).ToContainTextAsync("stopped by itself");
                await Microsoft.Playwright.Assertions.Expect(banner.Locator($"a[href='campaigns/{run}']")).ToHaveCountAsync(1);
                await page.ScreenshotAsync(new() { Path = Browser.Browser.ScreenshotPath("schedules-stopped"), FullPage = true });
                await page.GotoAsync(new Uri(f.App.BaseAddress, "/campaigns").ToString());
                await Microsoft.Playwright.Assertions.Expect(page.Locator($".wr-unattended-stopped[data-campaign='{run}']")).ToContainTextAsync("held");
            }
            finally
            {
                await browser.DisposeAsync();
                playwright.Dispose();
            }

            // A person escalates on Monday; the master comes back and the campaign ends.
            await f.PostAsync($"/api/v1/campaigns/{run}/masters/{m.Name}/escalate", 202);
            var done = await f.WaitForCampaignAsync(run, c => State(c) is "succeeded" or "failed" or "parked", "the end", TimeSpan.FromMinutes(2));
            Assert.True(State(done) == "succeeded", done.ToString());
            await f.Lab.WaitForBuildAsync(m, build.Request, TimeSpan.FromSeconds(30));
        }
        finally
        {
            await f.App.Client.DeleteAsync($"/api/v1/schedules/{id}");
        }
    }

    [Fact]
    public async Task Fire_times_missed_while_Wrangler_was_stopped_run_once_late_with_runLate_and_not_at_all_with_skip()
    {
        var dir = Directory.CreateTempSubdirectory("wrangler-misfire-").FullName;
        var baseUrl = $"http://127.0.0.1:{Lab.LoopbackPorts.Next()}";
        string[] args =
        [
            "--urls", baseUrl, $"--Wrangler:Database={Path.Combine(dir, "wrangler.db")}", "--Wrangler:PollInterval=00:00:02", $"--Wrangler:Auth:BootstrapToken={AppHost.BootstrapToken}",
            "--Wrangler:Scheduling:MisfireThreshold=00:00:05", "--Wrangler:Scheduling:MinInterval=00:00:01", .. f.Lab.SettingsArgs,
        ];
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AppHost.BootstrapToken);
        var first = WranglerProcess.Start(args, Output);
        Process? second = null;
        try
        {
            await WranglerProcess.WaitHealthyAsync(http, Output);

            // Three fire times 4 s apart, all while Wrangler is stopped: "never a burst" means at most one campaign.
            var t = DateTimeOffset.UtcNow.AddSeconds(40);
            if (t.Second > 50)
            {
                t = t.AddSeconds(62 - t.Second);
            }

            var times = new[] { t, t.AddSeconds(4), t.AddSeconds(8) };
            var late = await CreateScheduleAsync(http, new
            {
                name = "late", kind = "restart", selector = new { names = new[] { "bm04-build1" } }, cron = CronAt(times), timeZone = "UTC", window = "00:10:00", misfire = "runLate",
            });
            var skip = await CreateScheduleAsync(http, new
            {
                name = "skip", kind = "restart", selector = new { names = new[] { "bm03-tests1-linux32" } }, cron = CronAt(times), timeZone = "UTC", window = "00:10:00", misfire = "skip",
            });
            var stopping = DateTimeOffset.UtcNow;
            await WranglerProcess.StopAsync(first);
            Assert.True(DateTimeOffset.UtcNow < t, $"the first fire time {t:O} passed while Wrangler ran: stop asked at {stopping:O}, done at {DateTimeOffset.UtcNow:O}");

            // Past the last fire time by more than the misfire threshold, then start again on the same database.
            var wait = times[^1].AddSeconds(8) - DateTimeOffset.UtcNow;
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
            second = WranglerProcess.Start(args, Output);
            await WranglerProcess.WaitHealthyAsync(http, Output);

            var run = await WaitForRunAsync(http, late, TimeSpan.FromSeconds(60));
            var done = await WaitCampaignAsync(http, run, c => State(c) is "succeeded" or "failed" or "parked", TimeSpan.FromMinutes(3));
            Assert.True(State(done) == "succeeded", done.ToString());
            Assert.True(done.GetProperty("createdAt").GetDateTimeOffset() > times[^1], "the late run started before Wrangler was back");

            // Give a burst every chance to show itself, then count.
            await Task.Delay(TimeSpan.FromSeconds(5));
            var lateRuns = (await http.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{late}")).GetProperty("lastRuns");
            Assert.Equal(1, lateRuns.GetArrayLength());
            var skipRuns = (await http.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{skip}")).GetProperty("lastRuns");
            Assert.Equal(0, skipRuns.GetArrayLength());
            var campaigns = (await http.GetFromJsonAsync<JsonElement[]>("/api/v1/campaigns"))!;
            Assert.Single(campaigns);

            var misfires = await AuditAsync(http, "schedule.misfired");
            Assert.Contains(misfires, e => e.GetProperty("subject").GetString() == $"schedule {skip}" && e.GetProperty("detail").GetString()!.Contains("policy skip", StringComparison.Ordinal));
            Assert.Contains(misfires, e => e.GetProperty("subject").GetString() == $"schedule {late}" && e.GetProperty("detail").GetString()!.Contains("policy runLate", StringComparison.Ordinal));
            var fired = Assert.Single(await AuditAsync(http, "schedule.fired"));
            Assert.Contains("late", fired.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await WranglerProcess.KillAllAsync(first, second);

            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task With_two_instances_on_one_database_a_schedule_fires_once_and_after_the_leader_dies_the_next_fires_once_on_the_new_leader()
    {
        var dir = Directory.CreateTempSubdirectory("wrangler-two-schedulers-").FullName;
        var dbPath = Path.Combine(dir, "wrangler.db");
        string[] Args(string url, string name) =>
        [
            "--urls", url, $"--Wrangler:Database={dbPath}", "--Wrangler:PollInterval=00:00:02", $"--Wrangler:Auth:BootstrapToken={AppHost.BootstrapToken}",
            $"--Wrangler:Instance={name}", "--Wrangler:LeaseDuration=00:00:06", "--Wrangler:Scheduling:MinInterval=00:00:01", .. f.Lab.SettingsArgs,
        ];
        var urlA = $"http://127.0.0.1:{Lab.LoopbackPorts.Next()}";
        var urlB = $"http://127.0.0.1:{Lab.LoopbackPorts.Next()}";
        using var a = Client(urlA);
        using var b = Client(urlB);
        var outA = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var outB = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Process? leader = null;
        Process? follower = null;
        try
        {
            leader = WranglerProcess.Start(Args(urlA, "wrangler-a"), outA);
            await WranglerProcess.WaitHealthyAsync(a, outA);
            follower = WranglerProcess.Start(Args(urlB, "wrangler-b"), outB);
            await WranglerProcess.WaitHealthyAsync(b, outB);
            Assert.Equal("wrangler-a", (await b.GetFromJsonAsync<JsonElement>("/api/v1/instance")).GetProperty("leader").GetString());

            // Fired while both instances run: once, by the leader.
            var first = await CreateScheduleAsync(a, new
            {
                name = "two instances, first", kind = "restart", selector = new { names = new[] { "bm05-try1" } }, cron = CronAt(WholeSecondsAhead(10)), timeZone = "UTC", window = "00:10:00",
            });
            var run = await WaitForRunAsync(b, first, TimeSpan.FromSeconds(60));
            var done = await WaitCampaignAsync(b, run, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", TimeSpan.FromMinutes(3));
            Assert.True(State(done) == "succeeded", done.ToString());
            Assert.Contains(outA, l => l.Contains("Scheduler started", StringComparison.Ordinal));
            Assert.DoesNotContain(outB, l => l.Contains("Scheduler started", StringComparison.Ordinal));

            // Created on the leader, which dies before it fires: the follower takes over and fires it, once.
            var secondAt = WholeSecondsAhead(25);
            var second = await CreateScheduleAsync(a, new
            {
                name = "two instances, second", kind = "restart", selector = new { names = new[] { "bm04-build1" } }, cron = CronAt(secondAt), timeZone = "UTC", window = "00:10:00",
            });
            leader.Kill(entireProcessTree: true);
            await leader.WaitForExitAsync();
            await WaitInstanceAsync(b, j => j.GetProperty("leading").GetBoolean(), "wrangler-b leading", outB);
            Assert.True(DateTimeOffset.UtcNow < secondAt, $"the take-over came after the fire time {secondAt:O}: the test proves nothing about who fired it");

            // The dead leader comes back on the same database before the fire time, and follows.
            var back = WranglerProcess.Start(Args(urlA, "wrangler-a"), outA);
            leader = back;
            await WranglerProcess.WaitHealthyAsync(a, outA);
            var seen = await a.GetFromJsonAsync<JsonElement>("/api/v1/instance");
            Assert.True(seen.GetProperty("leader").GetString() == "wrangler-b", $"{seen}\nwrangler-a:\n{string.Join("\n", outA.TakeLast(40))}\nwrangler-b:\n{string.Join("\n", outB.TakeLast(40))}");

            var run2 = await WaitForRunAsync(a, second, TimeSpan.FromSeconds(60));
            var done2 = await WaitCampaignAsync(a, run2, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", TimeSpan.FromMinutes(3));
            Assert.True(State(done2) == "succeeded", done2.ToString());

            // Give a second fire every chance to show itself, then count: one campaign and one audit entry per fire.
            await Task.Delay(TimeSpan.FromSeconds(5));
            var campaigns = (await a.GetFromJsonAsync<JsonElement[]>("/api/v1/campaigns"))!;
            Assert.Equal([run, run2], campaigns.Select(c => c.GetProperty("id").GetInt64()).Order());
            Assert.Equal(1, (await a.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{first}")).GetProperty("lastRuns").GetArrayLength());
            Assert.Equal(1, (await a.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{second}")).GetProperty("lastRuns").GetArrayLength());
            var fired = await AuditAsync(a, "schedule.fired");
            Assert.Equal([$"schedule {first}", $"schedule {second}"], fired.Select(e => e.GetProperty("subject").GetString()).Order());
            Assert.Single(outA, l => l.Contains("Scheduler started", StringComparison.Ordinal));
            Assert.Single(outB, l => l.Contains("Scheduler started", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nwrangler-a:\n{string.Join("\n", outA.TakeLast(30))}\nwrangler-b:\n{string.Join("\n", outB.TakeLast(30))}", e);
        }
        finally
        {
            await WranglerProcess.KillAllAsync(leader, follower);

            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A whole second at least this far ahead: the cron names seconds, and Quartz 4 fires at the named second itself.</summary>
    private static DateTimeOffset WholeSecondsAhead(int seconds)
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddSeconds(seconds).ToUnixTimeSeconds() + 1);
        return at;
    }

    private static HttpClient Client(string url)
    {
        var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AppHost.BootstrapToken);
        return http;
    }

    private static async Task WaitInstanceAsync(HttpClient http, Func<JsonElement, bool> condition, string what, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetFromJsonAsync<JsonElement>("/api/v1/instance");
            if (condition(last))
            {
                return;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"{what} not seen within a minute; last: {last}; output:\n" + string.Join("\n", output.TakeLast(30)));
    }

    /// <summary>A Quartz cron that fires at exactly these UTC times (same minute) and never again: the year is in it.</summary>
    private static string CronAt(params DateTimeOffset[] times)
    {
        var t = times[0];
        Assert.All(times, x => Assert.Equal((t.Year, t.Month, t.Day, t.Hour, t.Minute), (x.Year, x.Month, x.Day, x.Hour, x.Minute)));
        return string.Create(CultureInfo.InvariantCulture, $"{string.Join(',', times.Select(x => x.Second))} {t.Minute} {t.Hour} {t.Day} {t.Month} ? {t.Year}");
    }

    private static async Task<long> CreateScheduleAsync(HttpClient http, object body)
    {
        using var resp = await http.PostAsJsonAsync("/api/v1/schedules", body);
        var text = await resp.Content.ReadAsStringAsync();
        Assert.True(resp.StatusCode == HttpStatusCode.Created, $"create schedule: {(int)resp.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
    }

    private static async Task<long> WaitForRunAsync(HttpClient http, long schedule, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonElement last;
        do
        {
            last = await http.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{schedule}");
            if (last.GetProperty("lastRuns").GetArrayLength() > 0)
            {
                return last.GetProperty("lastRuns")[0].GetProperty("campaignId").GetInt64();
            }

            await Task.Delay(300);
        }
        while (DateTime.UtcNow < deadline);

        var audit = await AuditAsync(http, "schedule.");
        throw new Xunit.Sdk.XunitException($"schedule {schedule} started no campaign within {within}; schedule: {last}; audit: {string.Join("\n", audit)}");
    }

    private static async Task<JsonElement> WaitCampaignAsync(HttpClient http, long id, Func<JsonElement, bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonElement last;
        do
        {
            last = await http.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(300);
        }
        while (DateTime.UtcNow < deadline);

        throw new Xunit.Sdk.XunitException($"campaign {id}: the end not seen within {within}; last: {last}");
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(300);
        }

        throw new Xunit.Sdk.XunitException($"{what} not seen within 20 s");
    }

    private static async Task<JsonElement[]> AuditAsync(HttpClient http, string kind) =>
        (await http.GetFromJsonAsync<JsonElement[]>($"/api/v1/audit?kind={Uri.EscapeDataString(kind)}"))!;

    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> Output = new();
}
