using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Persistence;
using Wrangler.Dashboard.Tests.Auth;
using Wrangler.Lab;
using static Wrangler.Dashboard.Tests.Sync.SyncLabFixture;

namespace Wrangler.Dashboard.Tests.Sync;

/// <summary>Reconfigs that follow production, on the real lab: nobody calls the campaign API in these tests.</summary>
[Collection("sync-lab")]
public sealed class SyncLabTests(SyncLabFixture f)
{
    private static readonly TimeSpan CampaignTime = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_push_goes_live_by_itself_and_a_second_push_inside_the_quiet_window_delays_it_so_both_land_in_one_reconfig()
    {
        await f.SettleAsync();
        var before = (await f.AutoCampaignsAsync()).Select(c => c.GetProperty("id").GetInt64()).DefaultIfEmpty(0).Max();
        var builder = "synced-" + Guid.NewGuid().ToString("N")[..6];

        await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", LabFiles.BuildersPy("sleep", builder), $"Bug 101 - add {builder}");
        var configsTip = (await f.Lab.UpstreamTipAsync("buildbot-configs"))[..12];

        // The quiet window runs from when Wrangler saw a move, not from when the lab made it (on a loaded machine the
        // two are seconds apart), so the test paces itself on what Wrangler reports.
        var firstSeen = await f.TipSeenAsync("buildbot-configs", configsTip);

        // Two seconds into the quiet window a second repo moves: the wait starts again, for both. Early in the window,
        // so Wrangler has most of it to see the second move even on a loaded machine (half-way left too little).
        await Task.Delay(firstSeen + TimeSpan.FromSeconds(2) - DateTimeOffset.UtcNow is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        Assert.DoesNotContain(await f.AutoCampaignsAsync(), c => c.GetProperty("id").GetInt64() > before);
        await f.Lab.CommitUpstreamAsync("buildbotcustom", "NOTES.txt", builder + "\n", "Bug 102 - notes for " + builder);
        var customTip = (await f.Lab.UpstreamTipAsync("buildbotcustom"))[..12];
        var secondPush = await f.TipSeenAsync("buildbotcustom", customTip);
        Assert.True(secondPush < firstSeen + Quiet, $"Wrangler saw the second push at {secondPush:O}, after the first one's quiet window ({firstSeen + Quiet:O}): the machine is too slow for this test");

        foreach (var n in f.Names)
        {
            await f.WaitForMasterAsync(n, j => j.GetProperty("inSync").ValueKind == JsonValueKind.False, "out of sync after the push", TimeSpan.FromSeconds(20));
        }

        // The release runner's question, while every master is behind (the reconfig cannot have finished yet).
        var (status, behind) = await f.LiveAsync("buildbot-configs", configsTip);
        Assert.True(status == 200, behind.ToString());
        Assert.False(behind.GetProperty("live").GetBoolean());
        var behindNames = behind.GetProperty("behind").EnumerateArray().Select(e => e.GetString()!).Order().ToArray();
        if ((await f.AutoCampaignsAsync()).All(c => c.GetProperty("id").GetInt64() <= before))
        {
            Assert.Equal(f.Names.Order(), behindNames);
        }
        else
        {
            Assert.NotEmpty(behindNames); // a loaded machine may already have reconfigured one master
        }
        Assert.Equal(404, (await f.LiveAsync("buildbot-configs", "abcdef0123")).Status);
        Assert.Equal(400, (await f.LiveAsync("buildbot-configs", "tip")).Status);

        var auto = await f.WaitForAutoCampaignAsync(before, Quiet + Poll * 3 + TimeSpan.FromSeconds(30));
        var created = auto.GetProperty("createdAt").GetDateTimeOffset();
        Assert.True(created >= secondPush + Quiet, $"campaign created {created:O}, second push {secondPush:O}: the quiet window was not honoured");
        var id = auto.GetProperty("id").GetInt64();
        var done = await f.WaitForCampaignEndAsync(id, CampaignTime, "succeeded", "failed", "parked", "aborted");
        Assert.True(State(done) == "succeeded", done.ToString());
        Assert.True(DateTimeOffset.UtcNow - secondPush < Quiet + Poll + CampaignTime, "not live within quiet window + poll + campaign time");
        Assert.Single(await f.AutoCampaignsAsync(), c => c.GetProperty("id").GetInt64() > before);

        foreach (var lm in f.Lab.Masters)
        {
            var m = await f.WaitForMasterAsync(lm.Name, j => j.GetProperty("inSync").ValueKind == JsonValueKind.True, "in sync", TimeSpan.FromSeconds(20));
            Assert.Equal(configsTip, Revision(m, "buildbot-configs"));
            Assert.Equal(customTip, Revision(m, "buildbotcustom"));
            Assert.False(m.GetProperty("driftAlarm").GetBoolean());
            using var builders = await f.Lab.GetJsonAsync(lm, "builders");
            Assert.Contains(builders.RootElement.GetProperty("builders").EnumerateArray(), b => b.GetProperty("name").GetString() == builder && b.GetProperty("masterids").GetArrayLength() > 0);
        }

        var (liveStatus, live) = await f.LiveAsync("buildbot-configs", configsTip);
        Assert.Equal(200, liveStatus);
        Assert.True(live.GetProperty("live").GetBoolean(), live.ToString());
        Assert.Empty(live.GetProperty("behind").EnumerateArray());

        // The production log: both repos, before → after, the commit messages with their bugs linked.
        JsonElement entry = default;
        await WaitAsync(async () =>
        {
            entry = (await f.App.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/production"))!.Single(e => e.GetProperty("campaignId").GetInt64() == id);
            return entry.GetProperty("changes").GetArrayLength() == 2;
        }, "both repos in the production log", TimeSpan.FromSeconds(15), () => entry.ToString());
        var configs = entry.GetProperty("changes").EnumerateArray().Single(c => c.GetProperty("repo").GetString() == "buildbot-configs");
        Assert.Equal(configsTip, configs.GetProperty("after").GetString());
        Assert.Contains(configs.GetProperty("commits").EnumerateArray(), c => c.GetProperty("message").GetString() == $"Bug 101 - add {builder}");

        using var browser = new SignedInClient(f.App);
        await browser.SignInAsync(AppHost.OperatorName, f.App.OperatorPassword);
        var page = await browser.Client.GetStringAsync("/production");
        Assert.Contains($"data-campaign=\"{id}\"", page);
        Assert.Contains("href=\"https://bugzilla.example.org/show_bug.cgi?id=101\"", page);
        Assert.Contains("href=\"https://bugzilla.example.org/show_bug.cgi?id=102\"", page);
        Assert.Contains($" - add {builder}", page);
    }

    [Fact]
    public async Task A_broken_push_is_caught_by_checkconfig_changes_no_master_is_not_retried_and_the_alarm_and_page_say_so()
    {
        await f.SettleAsync();
        var before = (await f.AutoCampaignsAsync()).Select(c => c.GetProperty("id").GetInt64()).DefaultIfEmpty(0).Max();
        var onDisk = new Dictionary<string, string>();
        foreach (var n in f.Names)
        {
            onDisk[n] = (await f.Lab.RunAsync("/usr/bin/hg", "id", "-i", "-R", f.Lab.Master(n).RepoDir("buildbot-configs"))).Trim();
        }

        await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", "this is not python (\n", "Bug 103 - broken config");
        long parkedId;
        try
        {
            var auto = await f.WaitForAutoCampaignAsync(before, Quiet + Poll * 3 + TimeSpan.FromSeconds(30));
            parkedId = auto.GetProperty("id").GetInt64();
            var parked = await f.WaitForCampaignEndAsync(parkedId, CampaignTime, "parked", "succeeded", "failed");
            Assert.Equal("parked", State(parked));
            Assert.Contains("checkconfig failed", parked.GetProperty("stateDetail").GetString());

            // The campaign parks on its first failure while a sibling in the same bucket (PerBucket=2) may still be
            // between its update and its own failed checkconfig; disk is judged once no master is mid-step.
            parked = await f.WaitForCampaignAsync(parkedId, c => c.GetProperty("masters").EnumerateArray().All(m => State(m) != "running"),
                "no master of the parked campaign still running a step", CampaignTime);

            // No master runs, or has on disk, the broken config.
            foreach (var n in f.Names)
            {
                Assert.Equal(onDisk[n], (await f.Lab.RunAsync("/usr/bin/hg", "id", "-i", "-R", f.Lab.Master(n).RepoDir("buildbot-configs"))).Trim());
            }

            // The alarm: CRITICAL for the parked auto-reconfig at once, then naming every master once the drift alarm is due.
            string text = "";
            await WaitAsync(async () =>
            {
                (var code, text) = await f.NagiosAsync();
                return code == 503 && text.StartsWith("CRITICAL - out of sync for over ", StringComparison.Ordinal) && text.Contains("drifting=3;;;0", StringComparison.Ordinal)
                       && text.Contains($"auto-reconfig campaign {parkedId} parked", StringComparison.Ordinal);
            }, "Nagios CRITICAL naming the drifting masters and the parked campaign", DriftAfter + TimeSpan.FromSeconds(30), () => text);
            var drift = text.Split("; auto-reconfig campaign")[0];
            Assert.All(f.Names, n => Assert.Contains(n, drift));
            Assert.All(await f.MastersAsync(), m => Assert.True(m.GetProperty("driftAlarm").GetBoolean(), m.ToString()));

            // Not hammered: a while later it is still the one campaign, waiting for a new tip.
            await Task.Delay(Poll * 4);
            Assert.Single(await f.AutoCampaignsAsync(), c => c.GetProperty("id").GetInt64() > before);
            Assert.Equal("failedTip", (await f.SyncAsync()).GetProperty("action").GetString());

            using var browser = new SignedInClient(f.App);
            await browser.SignInAsync(AppHost.OperatorName, f.App.OperatorPassword);
            var production = await browser.Client.GetStringAsync("/production");
            Assert.Contains($"data-campaign=\"{parkedId}\" data-state=\"parked\"", production);
            Assert.Contains("checkconfig failed", production);
            Assert.Contains("Nothing changed in production.", production);
            var fleet = await browser.Client.GetStringAsync("/");
            Assert.All(f.Names, n => Assert.Contains($"data-drift=\"{n}\"", fleet));
            var masterPage = await browser.Client.GetStringAsync($"/masters/{f.Names[0]}");
            Assert.Contains("past the drift alarm", masterPage);
            await SyncBrowserTests.ScreenshotsAsync(f.App, ("/", "fleet-drift"), ("/production", "production-broken"));
        }
        finally
        {
            await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", LabFiles.BuildersPy(), "Bug 103 - back out the broken config");
        }

        // The fix is a new tip: the parked campaign is superseded and the fix goes live by itself.
        var fixCampaign = await f.WaitForAutoCampaignAsync(parkedId, Quiet + Poll * 3 + TimeSpan.FromSeconds(30));
        Assert.Equal("aborted", State(await f.CampaignAsync(parkedId)));
        var done = await f.WaitForCampaignEndAsync(fixCampaign.GetProperty("id").GetInt64(), CampaignTime, "succeeded", "failed", "parked", "aborted");
        Assert.True(State(done) == "succeeded", done.ToString());
        await WaitAsync(async () => (await f.NagiosAsync()).Status == 200, "Nagios back to OK", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task With_the_freeze_on_nothing_happens_until_it_is_lifted_and_both_are_audited()
    {
        await f.SettleAsync();
        var before = (await f.AutoCampaignsAsync()).Select(c => c.GetProperty("id").GetInt64()).DefaultIfEmpty(0).Max();
        var (_, operatorToken) = await f.App.CreateTokenAsync("freeze-operator", Core.Auth.Role.Operator);
        using var op = f.App.NewClient(operatorToken);
        using (var noReason = await op.PutAsJsonAsync("/api/v1/freeze", new { reason = "  " }))
        {
            Assert.Equal(400, (int)noReason.StatusCode);
        }

        using (var set = await op.PutAsJsonAsync("/api/v1/freeze", new { reason = "release 142 <b>in progress</b>" }))
        {
            Assert.Equal(200, (int)set.StatusCode);
        }

        using var browser = new SignedInClient(f.App);
        await browser.SignInAsync(AppHost.OperatorName, f.App.OperatorPassword);
        foreach (var path in new[] { "/", "/campaigns", "/production" })
        {
            var html = await browser.Client.GetStringAsync(path);
            Assert.Contains("id=\"freeze-banner\"", html);
            Assert.Contains("release 142 &lt;b&gt;in progress&lt;/b&gt;", html);
        }

        var builder = "frozen-" + Guid.NewGuid().ToString("N")[..6];
        await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", LabFiles.BuildersPy("sleep", builder), $"Bug 104 - add {builder}");
        var pushed = DateTimeOffset.UtcNow;
        foreach (var n in f.Names)
        {
            await f.WaitForMasterAsync(n, j => j.GetProperty("inSync").ValueKind == JsonValueKind.False, "out of sync after the push", TimeSpan.FromSeconds(20));
        }

        // Well past the quiet window: still nothing, and the watcher says why.
        await Task.Delay(Quiet + Poll * 3);
        Assert.DoesNotContain(await f.AutoCampaignsAsync(), c => c.GetProperty("id").GetInt64() > before);
        var sync = await f.SyncAsync();
        Assert.Equal("frozen", sync.GetProperty("action").GetString());
        Assert.True(sync.GetProperty("freeze").GetProperty("frozen").GetBoolean());
        Assert.All(await f.MastersAsync(), m => Assert.Equal(JsonValueKind.False, m.GetProperty("inSync").ValueKind));

        using (var lift = await op.DeleteAsync("/api/v1/freeze?reason=release+done"))
        {
            Assert.Equal(200, (int)lift.StatusCode);
        }

        var lifted = DateTimeOffset.UtcNow;
        var auto = await f.WaitForAutoCampaignAsync(before, Poll * 3 + TimeSpan.FromSeconds(10));
        Assert.True(auto.GetProperty("createdAt").GetDateTimeOffset() >= lifted.AddSeconds(-1));
        var done = await f.WaitForCampaignEndAsync(auto.GetProperty("id").GetInt64(), CampaignTime, "succeeded", "failed", "parked", "aborted");
        Assert.True(State(done) == "succeeded", done.ToString());
        Assert.True(DateTimeOffset.UtcNow - pushed > Quiet + Poll * 3, "the reconfig must have waited for the lift");
        Assert.DoesNotContain("id=\"freeze-banner\"", await browser.Client.GetStringAsync("/"));

        await using var db = await f.App.Services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync();
        var audit = await db.AuditEvents.Where(e => e.Kind.StartsWith("sync.")).OrderBy(e => e.Id).ToListAsync();
        Assert.Contains(audit, e => e.Kind == "sync.freeze" && e.Actor == "token:freeze-operator" && e.Detail == "release 142 <b>in progress</b>");
        Assert.Contains(audit, e => e.Kind == "sync.unfreeze" && e.Actor == "token:freeze-operator" && e.Detail!.StartsWith("release done", StringComparison.Ordinal));
    }
}
