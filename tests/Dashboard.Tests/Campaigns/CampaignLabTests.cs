using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Wrangler.Core.Integrations;
using static Wrangler.Dashboard.Tests.Campaigns.CampaignLabFixture;

namespace Wrangler.Dashboard.Tests.Campaigns;

/// <summary>Campaigns run by the real app against real Buildbot masters, over real ssh.</summary>
[Collection("campaign-lab")]
public sealed class CampaignLabTests(CampaignLabFixture f)
{
    [Fact]
    public async Task A_graceful_restart_drains_one_master_per_bucket_at_a_time_and_every_build_succeeds()
    {
        var names = new[] { "bm01-tests1-linux32", "bm02-tests1-linux32", "bm03-tests1-linux32", "bm04-build1" };
        var id = await f.CreateAsync(new
        {
            kind = "gracefulRestart",
            selector = new { names },
            policy = new { perBucket = 1, drainTimeout = "00:05:00" },
            reason = "lab: graceful restart",
        });
        var created = await f.CampaignAsync(id);
        Assert.Equal("awaitingApproval", State(created));
        Assert.Equal(3, created.GetProperty("waves").GetArrayLength());

        // Busy masters: a build on each, held until that master's drain is under way, so every drain waits for one.
        var builds = new List<Lab.HeldBuild>();
        try
        {
            foreach (var n in names)
            {
                builds.Add(await f.Lab.HoldBuildAsync(f.Lab.Master(n)));
            }

            foreach (var b in builds)
            {
                await f.WaitForMasterAsync(b.Master.Name, j => j.GetProperty("runningBuilds").GetInt32() >= 1, "a running build", TimeSpan.FromSeconds(20));
            }
        }
        catch
        {
            builds.ForEach(b => b.Release());
            throw;
        }

        using var stopReleasing = new CancellationTokenSource();
        var releasing = f.ReleaseWhenDrainingAsync(id, builds, stopReleasing.Token);
        await f.PostAsync($"/api/v1/campaigns/{id}/approve");
        await f.PostAsync($"/api/v1/campaigns/{id}/approve"); // a second click changes nothing
        JsonElement done;
        try
        {
            done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", "the end", TimeSpan.FromMinutes(6));
            await releasing;
        }
        finally
        {
            builds.ForEach(b => b.Release());
            await stopReleasing.CancelAsync();
        }

        Assert.True(State(done) == "succeeded", done.ToString());
        // The fixture acts with the bootstrap token, so that is who the record names.
        Assert.Equal("bootstrap", done.GetProperty("approvedBy").GetString());

        // Down = from the start of the drain to the end of the start. Never two of one bucket down at once.
        var down = names.ToDictionary(n => n, n =>
        {
            var m = Master(done, n);
            return (From: Step(m, "drain").GetProperty("startedAt").GetDateTimeOffset(), To: Step(m, "start").GetProperty("endedAt").GetDateTimeOffset());
        });
        var tests = names.Take(3).Select(n => down[n]).OrderBy(d => d.From).ToList();
        for (var i = 1; i < tests.Count; i++)
        {
            Assert.True(tests[i].From >= tests[i - 1].To, $"two tests1-linux32 masters were down at once: {tests[i - 1]} and {tests[i]}");
        }

        // The single-master bucket went alongside the first wave, not after it.
        var build = down["bm04-build1"];
        Assert.True(build.From < tests[0].To && tests[0].From < build.To, $"bm04-build1 {build} did not overlap the first wave {tests[0]}");

        foreach (var b in builds)
        {
            Assert.Equal(0, await f.Lab.WaitForBuildAsync(b.Master, b.Request, TimeSpan.FromSeconds(30)));
        }

        foreach (var n in names)
        {
            var m = f.Lab.Master(n);
            await f.WaitForMasterAsync(n, j => State(j) == "running" && j.GetProperty("workers").GetProperty("connected").GetInt32() == m.Workers.Count,
                "running with its workers back", TimeSpan.FromSeconds(30));
            Assert.False(File.Exists(Path.Combine(m.MasterDir, "reconfig.lock")), $"{n} was left locked");
        }

        // The allocator saw each master disabled then enabled, and Nagios a downtime scheduled then ended for each.
        var allocator = f.Lab.Allocator!;
        foreach (var n in names)
        {
            var changes = allocator.Changes.Where(c => c.Master == n).ToList();
            Assert.True(changes.Count >= 2, $"allocator saw {changes.Count} change(s) for {n}");
            Assert.False(changes[^2].Enabled);
            Assert.True(changes[^1].Enabled);
            Assert.Contains($"campaign {id}", changes[^2].Notes);
            Assert.True(allocator.IsEnabled(n));
        }

        var commands = f.Lab.Nagios!.ExternalCommandsLogged();
        foreach (var n in names)
        {
            Assert.Contains(commands, c => c.Contains($"SCHEDULE_HOST_DOWNTIME;{n};"));
            Assert.DoesNotContain(commands, c => c.Contains($"DEL_DOWNTIME_BY_HOST_NAME;{n}"));
            var ended = Step(Master(done, n), "endDowntime").GetProperty("detail").GetString()!;
            Assert.StartsWith("downtime ended (Nagios id(s) host ", ended);
        }

        await f.Lab.Nagios.WaitForDowntimesAsync(d => !d.Any(x => names.Contains(x.HostName)), TimeSpan.FromSeconds(10));

        // Drained masters were disabled and in downtime before the drain began.
        foreach (var n in names)
        {
            var m = Master(done, n);
            Assert.True(Step(m, "disableInAllocator").GetProperty("endedAt").GetDateTimeOffset() <= Step(m, "drain").GetProperty("startedAt").GetDateTimeOffset());
            Assert.True(Step(m, "scheduleDowntime").GetProperty("endedAt").GetDateTimeOffset() <= Step(m, "drain").GetProperty("startedAt").GetDateTimeOffset());
        }

        await AssertLedgerEmptyAsync(id);
    }

    [Fact]
    public async Task A_drain_that_outlasts_its_timeout_holds_and_escalate_hard_stops_it()
    {
        var m = f.Lab.Master("bm05-try1");
        using var build = await f.Lab.HoldBuildAsync(m); // never released: the hard stop cancels it
        await f.WaitForMasterAsync(m.Name, j => j.GetProperty("runningBuilds").GetInt32() >= 1, "a running build", TimeSpan.FromSeconds(20));
        var id = await f.CreateAsync(new { kind = "gracefulRestart", selector = new { names = new[] { m.Name } }, policy = new { drainTimeout = "00:00:05", onDrainTimeout = "hold" } });
        await f.PostAsync($"/api/v1/campaigns/{id}/approve");

        var held = await f.WaitForCampaignAsync(id, c => State(Master(c, m.Name)) == "held", "a held drain", TimeSpan.FromSeconds(60));
        var detail = Step(Master(held, m.Name), "drain").GetProperty("detail").GetString()!;
        Assert.Contains("drain timed out", detail);
        Assert.Contains("sleep #", detail);
        await f.WaitForMasterAsync(m.Name, j => State(j) == "draining", "draining on the fleet page", TimeSpan.FromSeconds(10));

        await f.PostAsync($"/api/v1/campaigns/{id}/masters/{m.Name}/escalate", 202);
        var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked", "the end", TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", State(done));
        Assert.Contains("escalated", Step(Master(done, m.Name), "drain").GetProperty("detail").GetString());
        Assert.NotEqual(0, await f.Lab.WaitForBuildAsync(m, build.Request, TimeSpan.FromSeconds(30))); // the held build was cancelled by the hard stop
        await f.WaitForMasterAsync(m.Name, j => State(j) == "running", "running again", TimeSpan.FromSeconds(30));
        await AssertLedgerEmptyAsync(id);
    }

    [Fact]
    public async Task With_policy_hard_stop_a_timed_out_drain_is_stopped_without_a_person()
    {
        var m = f.Lab.Master("bm04-build1");
        using var held = await f.Lab.HoldBuildAsync(m); // never released: the policy's hard stop cancels it
        await f.WaitForMasterAsync(m.Name, j => j.GetProperty("runningBuilds").GetInt32() >= 1, "a running build", TimeSpan.FromSeconds(20));
        var id = await f.CreateAsync(new { kind = "gracefulRestart", selector = new { names = new[] { m.Name } }, policy = new { drainTimeout = "00:00:05", onDrainTimeout = "hardStop" } });
        await f.PostAsync($"/api/v1/campaigns/{id}/approve");
        var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked", "the end", TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", State(done));
        Assert.Contains("drain timed out", Step(Master(done, m.Name), "drain").GetProperty("detail").GetString());
        await AssertLedgerEmptyAsync(id);
    }

    [Fact]
    public async Task A_master_in_a_running_campaign_cannot_join_another()
    {
        var m = f.Lab.Master("bm03-tests1-linux32");
        var first = await f.CreateAsync(new { kind = "restart", selector = new { names = new[] { m.Name } } });
        using var resp = await f.App.Client.PostAsync("/api/v1/campaigns", System.Net.Http.Json.JsonContent.Create(new { kind = "gracefulRestart", selector = new { names = new[] { m.Name } } }));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, resp.StatusCode);
        Assert.Contains($"campaign {first}", await resp.Content.ReadAsStringAsync());
        await f.PostAsync($"/api/v1/campaigns/{first}/abort");
        Assert.Equal("aborted", State(await f.CampaignAsync(first)));
    }

    [Fact]
    public async Task A_reconfig_after_a_good_commit_brings_every_master_to_the_tip_and_the_new_builder_appears()
    {
        var builder = "added-" + Guid.NewGuid().ToString("N")[..6];
        await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", Lab.LabFiles.BuildersPy("sleep", builder), $"Bug 4 - add {builder}");
        var tip = (await f.Lab.UpstreamTipAsync("buildbot-configs"))[..12];
        var names = f.Lab.Masters.Select(m => m.Name).ToArray();
        foreach (var n in names)
        {
            await f.WaitForMasterAsync(n, j => j.GetProperty("inSync").ValueKind == JsonValueKind.False, "out of sync after the push", TimeSpan.FromSeconds(15));
        }

        var id = await f.CreateAsync(new { kind = "reconfig", selector = new { names, outOfSyncOnly = true }, policy = new { perBucket = 1 } });
        await f.PostAsync($"/api/v1/campaigns/{id}/approve");
        var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", "the end", TimeSpan.FromMinutes(4));
        Assert.True(State(done) == "succeeded", done.ToString());

        foreach (var lm in f.Lab.Masters)
        {
            var seen = await f.WaitForMasterAsync(lm.Name, j => j.GetProperty("inSync").ValueKind == JsonValueKind.True, "in sync", TimeSpan.FromSeconds(15));
            Assert.Equal(tip, seen.GetProperty("repos").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "buildbot-configs").GetProperty("revision").GetString());
            using var builders = await f.Lab.GetJsonAsync(lm, "builders");
            Assert.Contains(builders.RootElement.GetProperty("builders").EnumerateArray(), b => b.GetProperty("name").GetString() == builder);
        }

        await AssertLedgerEmptyAsync(id);
    }

    [Fact]
    public async Task The_release_runner_pushes_asks_for_a_reconfig_of_every_master_within_a_second_and_polls_until_the_revision_is_live()
    {
        var names = f.Lab.Masters.Select(m => m.Name).ToArray();
        await f.AbortLeftoversAsync();

        var builder = "release-" + Guid.NewGuid().ToString("N")[..6];
        await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", Lab.LabFiles.BuildersPy("sleep", builder), $"Bug 7 - release {builder}");
        var pushed = System.Diagnostics.Stopwatch.StartNew();

        // Within a second of the push, before any poll has seen it: every master named, none turned away.
        using var created = await f.App.Client.PostAsJsonAsync("/api/v1/campaigns", new { kind = "reconfig", selector = new { names }, policy = new { perBucket = 1 } });
        var asked = pushed.Elapsed;
        var body = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, $"{(int)created.StatusCode} {body}");
        Assert.True(asked < TimeSpan.FromSeconds(1), $"asked {asked.TotalMilliseconds:0} ms after the push");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
        Assert.Equal(names.Order(), JsonDocument.Parse(body).RootElement.GetProperty("waves").EnumerateArray().SelectMany(w => w.EnumerateArray()).Select(n => n.GetString()!).Order());
        await f.PostAsync($"/api/v1/campaigns/{id}/approve");

        var tip = await f.Lab.UpstreamTipAsync("buildbot-configs");
        var first = await f.App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/revisions/live?repo=buildbot-configs&revision={tip}");
        Assert.False(first.GetProperty("live").GetBoolean(), first.ToString());
        Assert.Equal(names.Order(), first.GetProperty("behind").EnumerateArray().Select(n => n.GetString()!).Order());

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        JsonElement live;
        do
        {
            await Task.Delay(500);
            live = await f.App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/revisions/live?repo=buildbot-configs&revision={tip}");
        }
        while (!live.GetProperty("live").GetBoolean() && DateTime.UtcNow < deadline);

        Assert.True(live.GetProperty("live").GetBoolean(), live.ToString());

        // Asked right after the first live=true, each master itself must already run the new config: its checkout
        // moves a step earlier, while the master still runs the old one. (The campaign records the reconfig step as
        // done a moment after the master finished it, so the step's state would race; the master's builders do not.)
        foreach (var m in f.Lab.Masters)
        {
            using var builders = await f.Lab.GetJsonAsync(m, "builders");
            Assert.True(builders.RootElement.GetProperty("builders").EnumerateArray().Any(b => b.GetProperty("name").GetString() == builder),
                $"{m.Name}: live=true while the master does not yet run {builder}: {Master(await f.CampaignAsync(id), m.Name)}");
        }

        var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", "the end", TimeSpan.FromMinutes(2));
        Assert.True(State(done) == "succeeded", done.ToString());
        Assert.All(names, n => Assert.Contains(tip[..12], Step(Master(done, n), "reconfig").GetProperty("detail").GetString()));

        await AssertLedgerEmptyAsync(id);
    }

    [Fact]
    public async Task A_reconfig_after_a_broken_commit_fails_checkconfig_on_the_first_master_parks_and_reconfigures_nothing()
    {
        var names = f.Lab.Masters.Select(m => m.Name).ToArray();
        var before = new Dictionary<string, string>();
        foreach (var n in names)
        {
            before[n] = (await f.Lab.RunAsync("/usr/bin/hg", "id", "-i", "-R", f.Lab.Master(n).RepoDir("buildbot-configs"))).Trim();
        }

        await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", "this is not python (\n", "Bug 5 - broken config");
        try
        {
            foreach (var n in names)
            {
                await f.WaitForMasterAsync(n, j => j.GetProperty("inSync").ValueKind == JsonValueKind.False, "out of sync after the push", TimeSpan.FromSeconds(15));
            }

            var id = await f.CreateAsync(new { kind = "reconfig", selector = new { names }, policy = new { perBucket = 1, maxParallel = 1, failureThreshold = 1 } });
            await f.PostAsync($"/api/v1/campaigns/{id}/approve");
            var parked = await f.WaitForCampaignAsync(id, c => State(c) is "parked" or "succeeded" or "failed", "parked", TimeSpan.FromMinutes(2));
            Assert.Equal("parked", State(parked));
            Assert.Contains("checkconfig failed", parked.GetProperty("stateDetail").GetString());

            var masters = parked.GetProperty("masters").EnumerateArray().ToList();
            var failed = Assert.Single(masters, m => State(m) == "failed");
            Assert.Equal("failed", State(Step(failed, "checkConfig")));
            Assert.All(masters, m => Assert.Equal("pending", State(Step(m, "reconfig"))));
            Assert.All(masters.Where(m => m.GetProperty("name").GetString() != failed.GetProperty("name").GetString()), m => Assert.Equal("pending", State(m)));

            // The broken revision did not stay on disk anywhere: the failed master's checkout was put back.
            foreach (var n in names)
            {
                Assert.Equal(before[n], (await f.Lab.RunAsync("/usr/bin/hg", "id", "-i", "-R", f.Lab.Master(n).RepoDir("buildbot-configs"))).Trim());
            }

            await f.PostAsync($"/api/v1/campaigns/{id}/abort");
            await f.WaitForCampaignAsync(id, c => State(Master(c, failed.GetProperty("name").GetString()!)) == "aborted", "the failed master cleaned up", TimeSpan.FromSeconds(30));
            await AssertLedgerEmptyAsync(id);
        }
        finally
        {
            await f.Lab.CommitUpstreamAsync("buildbot-configs", "builders.py", Lab.LabFiles.BuildersPy(), "Bug 5 - back out the broken config");
        }
    }

    [Fact]
    public async Task A_downtime_a_person_set_on_the_same_host_survives_the_campaign_and_the_campaigns_own_is_gone()
    {
        var m = f.Lab.Master("bm05-try1");
        var nagios = f.Lab.Nagios!;
        var sink = new LocalNagiosCommandFile(nagios.CommandFile, TimeSpan.FromSeconds(10), TimeProvider.System);
        await sink.WriteAsync(NagiosCommands.ScheduleDowntime(m.Name, DateTimeOffset.UtcNow, TimeSpan.FromHours(3), "carol", "disk swap, leave it"), CancellationToken.None);
        var persons = await nagios.WaitForDowntimesAsync(d => d.Count(x => x.Author == "carol" && x.HostName == m.Name) == 2, TimeSpan.FromSeconds(10));
        try
        {
            var id = await f.CreateAsync(new { kind = "restart", selector = new { names = new[] { m.Name } }, reason = "lab: downtime by id" });
            await f.PostAsync($"/api/v1/campaigns/{id}/approve");
            var ours = await nagios.WaitForDowntimesAsync(d => d.Count(x => x.HostName == m.Name && x.Comment.Contains($"Wrangler campaign {id}:")) == 2, TimeSpan.FromSeconds(60));
            var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", "the end", TimeSpan.FromMinutes(3));
            Assert.True(State(done) == "succeeded", done.ToString());

            var master = Master(done, m.Name);
            var ourIds = ours.Where(x => x.Comment.Contains($"Wrangler campaign {id}:")).Select(x => x.DowntimeId).ToList();
            Assert.Contains("Nagios downtime id(s) host ", Step(master, "scheduleDowntime").GetProperty("detail").GetString());
            Assert.StartsWith("downtime ended (Nagios id(s) host ", Step(master, "endDowntime").GetProperty("detail").GetString());
            var left = await nagios.WaitForDowntimesAsync(d => !d.Any(x => ourIds.Contains(x.DowntimeId)), TimeSpan.FromSeconds(10));
            Assert.Equal(persons.Where(x => x.Author == "carol" && x.HostName == m.Name).Select(x => x.DowntimeId).Order(),
                left.Where(x => x.Author == "carol" && x.HostName == m.Name).Select(x => x.DowntimeId).Order());
            var commands = nagios.ExternalCommandsLogged();
            Assert.All(ourIds, i => Assert.Contains(commands, c => c == $"DEL_HOST_DOWNTIME;{i}" || c == $"DEL_SVC_DOWNTIME;{i}"));
            Assert.DoesNotContain(commands, c => c.StartsWith($"DEL_DOWNTIME_BY_HOST_NAME;{m.Name}", StringComparison.Ordinal));
            await AssertLedgerEmptyAsync(id);
        }
        finally
        {
            var carol = (await nagios.DowntimesAsync()).Where(x => x.Author == "carol").Select(x => new NagiosDowntimeId(x.Type, x.DowntimeId));
            await sink.WriteAsync(NagiosCommands.DeleteDowntimes(carol, DateTimeOffset.UtcNow), CancellationToken.None);
        }
    }

    [Fact]
    public async Task With_approval_per_wave_each_click_releases_exactly_the_next_wave_and_a_double_click_releases_one()
    {
        var names = new[] { "bm01-tests1-linux32", "bm02-tests1-linux32", "bm03-tests1-linux32" };
        var id = await f.CreateAsync(new { kind = "restart", selector = new { names }, policy = new { perBucket = 1, approval = "wave" }, reason = "lab: per-wave approval" });
        var created = await f.CampaignAsync(id);
        Assert.Equal(3, created.GetProperty("waves").GetArrayLength());
        string InWave(int w) => created.GetProperty("waves")[w][0].GetString()!;

        await f.PostAsync($"/api/v1/campaigns/{id}/approve");
        var first = await f.WaitForCampaignAsync(id, c => State(Master(c, InWave(0))) is "succeeded" or "failed", "wave 1 done", TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", State(Master(first, InWave(0))));

        // Nothing else starts by itself: the runner ticks every second, so a few seconds is many chances to.
        await Task.Delay(TimeSpan.FromSeconds(4));
        var waiting = await f.CampaignAsync(id);
        Assert.Equal("running", State(waiting));
        Assert.Equal("pending", State(Master(waiting, InWave(1))));
        Assert.Equal("pending", State(Master(waiting, InWave(2))));

        // A double click: both answered, one wave released.
        var releasedAt = DateTimeOffset.UtcNow;
        await Task.WhenAll(f.PostAsync($"/api/v1/campaigns/{id}/approve"), f.PostAsync($"/api/v1/campaigns/{id}/approve"));
        var second = await f.WaitForCampaignAsync(id, c => State(Master(c, InWave(1))) is "succeeded" or "failed", "wave 2 done", TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", State(Master(second, InWave(1))));
        Assert.True(Master(second, InWave(1)).GetProperty("steps")[0].GetProperty("startedAt").GetDateTimeOffset() >= releasedAt.AddSeconds(-1));
        await Task.Delay(TimeSpan.FromSeconds(4));
        var third = await f.CampaignAsync(id);
        Assert.Equal("pending", State(Master(third, InWave(2))));
        Assert.Equal(JsonValueKind.Null, Step(Master(third, InWave(2)), "preCheck").GetProperty("startedAt").ValueKind);

        await f.PostAsync($"/api/v1/campaigns/{id}/approve");
        var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", "the end", TimeSpan.FromMinutes(2));
        Assert.True(State(done) == "succeeded", done.ToString());
        var waveStart = Step(Master(done, InWave(2)), "preCheck").GetProperty("startedAt").GetDateTimeOffset();
        Assert.True(waveStart >= Step(Master(done, InWave(1)), "endDowntime").GetProperty("endedAt").GetDateTimeOffset());

        await using var db = await f.App.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Core.Persistence.WranglerDb>>().CreateDbContextAsync();
        Assert.Equal([0, 1, 2], db.Approvals.Where(a => a.CampaignId == id).OrderBy(a => a.Id).Select(a => a.Wave ?? -1).ToList());
        Assert.Contains(db.AuditEvents.Where(a => a.Subject == $"campaign {id}").Select(a => a.Detail).ToList(), d => d != null && d.Contains("still running; nothing changed"));
        await AssertLedgerEmptyAsync(id);
    }

    [Fact]
    public async Task A_reboot_takes_the_host_off_the_network_and_back_with_a_fresh_uptime_and_ends_with_the_master_and_its_workers_back()
    {
        var m = f.Lab.Master("bm04-build1");
        var pidBefore = int.Parse(File.ReadAllText(m.TwistdPidFile).Trim());
        var id = await f.CreateAsync(new { kind = "reboot", selector = new { names = new[] { m.Name } }, reason = "lab: reboot" });

        // A build in progress, held until the drain is under way: the reboot drains it first instead of killing it with the host.
        using var build = await f.Lab.HoldBuildAsync(m);
        await f.WaitForMasterAsync(m.Name, j => j.GetProperty("runningBuilds").GetInt32() >= 1, "a running build", TimeSpan.FromSeconds(20));
        using var stopReleasing = new CancellationTokenSource();
        var releasing = f.ReleaseWhenDrainingAsync(id, [build], stopReleasing.Token);
        await f.PostAsync($"/api/v1/campaigns/{id}/approve");

        // Off the network for a few seconds: ssh to the host is refused, as to a rebooting host.
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var refused = Task.Run(async () =>
        {
            while (true)
            {
                var r = await f.Lab.SshAsync("true", ct: stop.Token);
                if (r.ExitCode == 255 && r.StdErr.Contains("Connection refused", StringComparison.Ordinal))
                {
                    return r.StdErr.Trim();
                }

                await Task.Delay(250, stop.Token);
            }
        });
        var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked" or "aborted", "the end", TimeSpan.FromMinutes(4));
        Assert.True(refused.IsCompleted, "ssh to the host was never refused during the reboot");
        Assert.Contains("Connection refused", await refused);
        Assert.True(State(done) == "succeeded", done.ToString());

        var master = Master(done, m.Name);
        Assert.Equal(["preCheck", "scheduleDowntime", "disableInAllocator", "createLock", "drain", "reboot", "waitForHost", "verify", "removeLock", "enableInAllocator", "endDowntime"],
            master.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray());
        Assert.All(master.GetProperty("steps").EnumerateArray(), s => Assert.Equal("succeeded", State(s)));
        var back = Step(master, "waitForHost").GetProperty("detail").GetString()!;
        Assert.Contains("host back after", back);
        Assert.Contains("its init started the master", back);

        await releasing;
        Assert.Equal(0, await f.Lab.WaitForBuildAsync(m, build.Request, TimeSpan.FromSeconds(30)));

        // A new process, started by the host, with its workers back.
        var pidAfter = int.Parse(File.ReadAllText(m.TwistdPidFile).Trim());
        Assert.NotEqual(pidBefore, pidAfter);
        Assert.True(Lab.LabProcess.IsAlive(pidAfter));
        Assert.False(Lab.LabProcess.IsAlive(pidBefore));
        await f.WaitForMasterAsync(m.Name, j => State(j) == "running" && j.GetProperty("workers").GetProperty("connected").GetInt32() == m.Workers.Count,
            "running with its workers back", TimeSpan.FromSeconds(60));
        var log = File.ReadAllText(Path.Combine(f.Lab.Root, "reboot.log"));
        Assert.Contains("power off: " + m.MasterDir, log);
        Assert.Contains("up: uptime", log);

        // Over ssh the host now looks freshly booted.
        var uptime = await f.Lab.SshAsync("cat /proc/uptime");
        Assert.InRange(double.Parse(uptime.StdOut.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture), 0, 600);
        Assert.False(File.Exists(Path.Combine(m.MasterDir, "reconfig.lock")));
        Assert.True(f.Lab.Allocator!.IsEnabled(m.Name));
        await f.Lab.Nagios!.WaitForDowntimesAsync(d => !d.Any(x => x.HostName == m.Name), TimeSpan.FromSeconds(10));
        await AssertLedgerEmptyAsync(id);
    }

    private async Task AssertLedgerEmptyAsync(long id)
    {
        await using var db = await f.App.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Core.Persistence.WranglerDb>>().CreateDbContextAsync();
        var open = db.Ledger.Where(l => l.CampaignId == id && l.UndoneAt == null).Select(l => l.Master + " " + l.Effect).ToList();
        Assert.True(open.Count == 0, "ledger not empty: " + string.Join(", ", open));
    }
}
