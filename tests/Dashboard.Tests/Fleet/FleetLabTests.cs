using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wrangler.Dashboard.Tests.Fleet;

/// <summary>
/// Changes made directly on a real lab (not through Wrangler) must show in /api/v1/masters within one poll interval
/// plus 5 s. Each test uses its own master so that what one does cannot make another pass.
/// </summary>
[Collection("fleet-lab")]
public sealed class FleetLabTests(FleetLabFixture f)
{
    [Fact]
    public async Task A_worker_paused_through_Buildbot_REST_shows_as_paused()
    {
        var m = f.Lab.Masters[0];
        var worker = m.Workers[0].Name;
        await f.EventuallyAsync(m.Name, j => j.GetProperty("state").GetString() == "running" && Workers(j, "connected") == m.Workers.Count, "running with all workers");

        await WorkerRpcAsync(m.ApiUrl, worker, "pause");
        try
        {
            await f.EventuallyAsync(m.Name, j => Workers(j, "paused") == 1, "one paused worker");
            var detail = await f.App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/masters/{m.Name}");
            var listed = detail.GetProperty("workerList").EnumerateArray().Single(w => w.GetProperty("name").GetString() == worker);
            Assert.True(listed.GetProperty("paused").GetBoolean());
        }
        finally
        {
            await WorkerRpcAsync(m.ApiUrl, worker, "unpause");
        }

        await f.EventuallyAsync(m.Name, j => Workers(j, "paused") == 0, "no paused worker after unpause", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_forced_build_shows_as_running_with_its_builder_and_number()
    {
        var m = f.Lab.Masters[1];
        using var held = await f.Lab.HoldBuildAsync(m); // running until the test has looked at it
        var seen = await f.EventuallyAsync(m.Name, j => j.GetProperty("runningBuilds").GetInt32() >= 1, "a running build");
        Assert.Equal("running", seen.GetProperty("state").GetString());

        var detail = await f.App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/masters/{m.Name}");
        var build = detail.GetProperty("builds")[0];
        Assert.Equal("sleep", build.GetProperty("builder").GetString());
        Assert.True(build.GetProperty("number").GetInt32() >= 1);
        Assert.StartsWith($"http://127.0.0.1:{m.HttpPort}/#/builders/", build.GetProperty("url").GetString());
    }

    [Fact]
    public async Task A_production_push_puts_masters_out_of_sync_and_a_pull_brings_one_back()
    {
        const string repo = "buildbot-configs";
        await f.Lab.CommitUpstreamAsync(repo, $"notes/{Guid.NewGuid():N}.txt", "sync test\n", "Bug 1 - sync test");
        var tip = (await f.Lab.UpstreamTipAsync(repo))[..12];

        foreach (var lm in f.Lab.Masters)
        {
            var seen = await f.EventuallyAsync(lm.Name, j => Repo(j, repo).GetProperty("inSync").ValueKind == JsonValueKind.False, $"{repo} out of sync");
            Assert.Equal(tip, Repo(seen, repo).GetProperty("tipRevision").GetString());
            Assert.False(seen.GetProperty("inSync").GetBoolean());
        }

        var m = f.Lab.Masters[0];
        await f.Lab.PullAsync(m, repo);
        var back = await f.EventuallyAsync(m.Name, j => Repo(j, repo).GetProperty("inSync").ValueKind == JsonValueKind.True, $"{repo} back in sync");
        Assert.Equal(tip, Repo(back, repo).GetProperty("revision").GetString());

        // The others were not pulled and must still say so.
        foreach (var other in f.Lab.Masters.Skip(1))
        {
            Assert.Equal(JsonValueKind.False, Repo(await f.MasterAsync(other.Name), repo).GetProperty("inSync").ValueKind);
        }
    }

    [Fact]
    public async Task A_master_stopped_behind_Wranglers_back_shows_stopped_then_running_again()
    {
        var m = f.Lab.Masters[2];
        await f.EventuallyAsync(m.Name, j => j.GetProperty("state").GetString() == "running", "running");

        await f.Lab.StopMasterAsync(m);
        var stopped = await f.EventuallyAsync(m.Name, j => j.GetProperty("state").GetString() == "stopped", "stopped");
        Assert.Contains("not running", stopped.GetProperty("stateDetail").GetString());

        await f.Lab.StartMasterAsync(m);
        await f.EventuallyAsync(m.Name, j => j.GetProperty("state").GetString() == "running" && Workers(j, "connected") == m.Workers.Count, "running with its workers");

        // State changes are stored in batches every 2 s; the newest must be the return to running, after a stop.
        List<string?> changes = [];
        for (var i = 0; i < 50 && changes.FirstOrDefault() != "running"; i++)
        {
            await Task.Delay(200);
            var detail = await f.App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/masters/{m.Name}");
            changes = [.. detail.GetProperty("recentChanges").EnumerateArray().Select(c => c.GetProperty("to").GetString())];
        }

        Assert.Equal("running", changes[0]);
        Assert.Contains("stopped", changes);
    }

    [Fact]
    public async Task A_master_behind_a_closed_ssh_port_is_unreachable_with_the_reason_and_the_others_keep_refreshing()
    {
        var victim = f.Lab.Masters[1];
        var closedPort = ClosedPort();
        await WriteInventoryAsync(entries => entries.Single(e => e!["name"]!.GetValue<string>() == victim.Name)!["ssh_login_port"] = closedPort);
        try
        {
            var seen = await f.EventuallyAsync(victim.Name,
                j => j.GetProperty("state").GetString() == "unreachable" && j.GetProperty("stateDetail").GetString()!.Contains("Connection refused"),
                "unreachable because the connection was refused");
            Assert.Contains($"127.0.0.1:{closedPort} is unreachable", seen.GetProperty("stateDetail").GetString());

            // Every other master is polled on time while the victim keeps failing.
            var before = await PolledAtAsync();
            await Task.Delay(FleetLabFixture.PollInterval * 2 + TimeSpan.FromSeconds(1));
            var after = await PolledAtAsync();
            foreach (var other in f.Lab.Masters.Where(x => x != victim))
            {
                Assert.True(after[other.Name] > before[other.Name], $"{other.Name} was not polled again while {victim.Name} was unreachable");
            }
        }
        finally
        {
            await File.WriteAllTextAsync(f.Lab.InventoryPath, f.OriginalInventory);
        }

        await f.EventuallyAsync(victim.Name, j => j.GetProperty("state").GetString() == "running", "running again once its port is right");
    }

    [Fact]
    public async Task An_invalid_inventory_is_refused_with_each_problem_named_and_the_previous_one_keeps_working()
    {
        var names = f.Lab.Masters.Select(m => m.Name).ToList();
        await WriteInventoryAsync(entries =>
        {
            entries[1]!["name"] = names[0];                       // a duplicate name
            entries[2]!.AsObject().Remove("hostname");            // a missing hostname
            entries[0]!["http_port"] = 70000;                     // a bad port
        });
        try
        {
            var inventory = await EventuallyInventoryAsync(i => i.GetProperty("problems").GetArrayLength() > 0);
            var problems = inventory.GetProperty("problems").EnumerateArray()
                .Select(p => (Index: p.GetProperty("index").GetInt32(), Field: p.GetProperty("field").GetString(), Message: p.GetProperty("message").GetString()))
                .ToList();
            Assert.Contains(problems, p => p.Index == 1 && p.Field == "name" && p.Message!.Contains("duplicate", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(problems, p => p.Index == 2 && p.Field == "hostname");
            Assert.Contains(problems, p => p.Index == 0 && p.Field == "http_port");
            Assert.Equal(3, inventory.GetProperty("masters").GetInt32());

            // The previous inventory stays in force and is still polled.
            var before = await PolledAtAsync();
            await Task.Delay(FleetLabFixture.PollInterval * 2 + TimeSpan.FromSeconds(1));
            var after = await PolledAtAsync();
            Assert.Equal(names.Order(), after.Keys.Order());
            Assert.All(names, n => Assert.True(after[n] > before[n], $"{n} stopped being polled after the bad edit"));
        }
        finally
        {
            await File.WriteAllTextAsync(f.Lab.InventoryPath, f.OriginalInventory + " ");
        }

        await EventuallyInventoryAsync(i => i.GetProperty("problems").GetArrayLength() == 0 && i.GetProperty("error").ValueKind == JsonValueKind.Null);
    }

    private static int Workers(JsonElement m, string field) => m.GetProperty("workers").GetProperty(field).GetInt32();

    private static JsonElement Repo(JsonElement m, string name) =>
        m.GetProperty("repos").EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);

    private async Task<Dictionary<string, DateTimeOffset>> PolledAtAsync() =>
        (await f.MastersAsync()).ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("lastPolledAt").GetDateTimeOffset());

    private async Task<JsonElement> EventuallyInventoryAsync(Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + FleetLabFixture.Within;
        JsonElement last;
        do
        {
            last = await f.App.Client.GetFromJsonAsync<JsonElement>("/api/v1/inventory");
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        throw new Xunit.Sdk.XunitException($"inventory state not reached; last: {last}");
    }

    private async Task WriteInventoryAsync(Action<JsonArray> edit)
    {
        var entries = JsonNode.Parse(f.OriginalInventory)!.AsArray();
        edit(entries);
        await File.WriteAllTextAsync(f.Lab.InventoryPath, entries.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private Task WorkerRpcAsync(string apiUrl, string worker, string method) => LabRpc.WorkerAsync(f, apiUrl, worker, method);

    private static int ClosedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
