using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Wrangler.Lab;
using Xunit.Abstractions;

namespace Wrangler.Core.Tests.Lab;

[Collection("lab")]
public sealed class LabFleetTests(LabFixture lab, ITestOutputHelper output)
{
    private LabFleet Fleet => lab.Fleet;

    [Fact]
    public async Task Every_master_answers_rest()
    {
        output.WriteLine($"lab started in {Fleet.StartupTime.TotalSeconds:0.00} s");
        Assert.Equal(3, Fleet.Masters.Count);
        foreach (var m in Fleet.Masters)
        {
            using var doc = await Fleet.GetJsonAsync(m, "masters");
            var master = Assert.Single(doc.RootElement.GetProperty("masters").EnumerateArray());
            Assert.True(master.GetProperty("active").GetBoolean());
            Assert.EndsWith(":" + m.MasterDir, master.GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task Every_worker_is_connected()
    {
        foreach (var m in Fleet.Masters)
        {
            using var doc = await Fleet.GetJsonAsync(m, "workers");
            var workers = doc.RootElement.GetProperty("workers").EnumerateArray().ToDictionary(w => w.GetProperty("name").GetString()!);
            Assert.Equal(m.Workers.Select(w => w.Name).Order(), workers.Keys.Order());
            Assert.All(workers.Values, w => Assert.NotEqual(0, w.GetProperty("connected_to").GetArrayLength()));
        }
    }

    [Fact]
    public void Inventory_is_in_production_masters_format()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fleet.InventoryPath));
        var entries = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(["bm01-tests1-linux32", "bm02-tests1-linux32", "bm03-build1"], entries.Select(e => e.GetProperty("name").GetString()));
        var first = entries[0];
        var m = Fleet.Masters[0];
        Assert.Equal("127.0.0.1", first.GetProperty("hostname").GetString());
        Assert.Equal("tests", first.GetProperty("role").GetString());
        Assert.Equal(m.HttpPort, first.GetProperty("http_port").GetInt32());
        Assert.Equal(m.PbPort, first.GetProperty("pb_port").GetInt32());
        Assert.Equal(m.MasterDir, first.GetProperty("master_dir").GetString());
        Assert.Equal("production-0.8", first.GetProperty("bbcustom_branch").GetString());
        Assert.Equal("production", first.GetProperty("bbconfigs_branch").GetString());
        Assert.Equal("default", first.GetProperty("tools_branch").GetString());
        Assert.Equal(Fleet.Ssh.Port, first.GetProperty("ssh_login_port").GetInt32());
        Assert.Equal(m.ApiUrl, first.GetProperty("api_url").GetString());

        using var settings = JsonDocument.Parse(File.ReadAllText(Fleet.SettingsPath));
        var w = settings.RootElement.GetProperty("Wrangler");
        Assert.Equal(Fleet.InventoryPath, w.GetProperty("Inventory").GetString());
        Assert.Equal(Fleet.UpstreamDir("tools"), w.GetProperty("Repos").GetProperty("tools").GetProperty("Upstream").GetString());
    }

    [Fact]
    public async Task Ssh_works_with_strict_host_key_checking()
    {
        var r = await Fleet.SshAsync("buildbot --version");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("Buildbot version: 3.7", r.StdOut);
        Assert.Contains("-o", Fleet.Ssh.Args("true"));
        Assert.Contains("StrictHostKeyChecking=yes", Fleet.Ssh.Args("true"));
    }

    [Fact]
    public async Task Ssh_refuses_a_host_it_does_not_know()
    {
        var empty = Path.Combine(Fleet.Root, "ssh", "empty_known_hosts");
        await File.WriteAllTextAsync(empty, "");
        var r = await Fleet.SshAsync("true", knownHostsFile: empty);
        Assert.Equal(255, r.ExitCode);
        Assert.Contains("Host key verification failed", r.StdErr);
    }

    [Fact]
    public async Task Multiplexed_ssh_commands_skip_the_login_shell_cost()
    {
        var first = await Fleet.SshAsync("true", multiplexed: true);
        Assert.True(first.ExitCode == 0, first.StdErr);
        var times = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            var r = await Fleet.SshAsync("true", multiplexed: true);
            Assert.True(r.ExitCode == 0, r.StdErr);
            times.Add(r.Elapsed.TotalMilliseconds);
        }

        var median = times.Order().ElementAt(times.Count / 2);
        output.WriteLine($"mux'd `ssh true`: first {first.Elapsed.TotalMilliseconds:0} ms, median {median:0} ms ({string.Join(", ", times.Select(t => t.ToString("0")))})");

        // ~10 ms when ~/.bashrc is skipped (SetEnv SHLVL=1), ~110 ms on a quiet machine when it is not. The fastest
        // of 15 is judged, not the median: load from tests beside this one only ever adds time, so on this 2-core machine a sourced
        // ~/.bashrc can never come in under 100 ms, while a skipped one did in 78 ms at load 43 (a fresh-clone CI
        // run, where the 70 ms bound before failed; a 146 ms median in another).
        var fastest = times.Min();
        Assert.True(fastest < 100, $"fastest {fastest:0} ms, median {median:0} ms: is ~/.bashrc still sourced for ssh commands?");
    }

    [Fact]
    public async Task A_forced_build_runs_on_a_worker_to_success()
    {
        var m = Fleet.Masters[0];
        var sw = Stopwatch.StartNew();
        var brid = await Fleet.ForceBuildAsync(m, 2);
        var results = await Fleet.WaitForBuildAsync(m, brid, TimeSpan.FromSeconds(60));
        Assert.Equal(0, results);
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(2), $"a 2 s sleep build finished in {sw.Elapsed}");

        using var doc = await Fleet.GetJsonAsync(m, $"builds?buildrequestid={brid}");
        var build = Assert.Single(doc.RootElement.GetProperty("builds").EnumerateArray());
        var worker = build.GetProperty("workerid").GetInt32();
        using var w = await Fleet.GetJsonAsync(m, $"workers/{worker}");
        Assert.Contains(w.RootElement.GetProperty("workers")[0].GetProperty("name").GetString(), m.Workers.Select(x => x.Name));
    }

    [Fact]
    public async Task A_builder_committed_upstream_appears_after_pull_and_reconfig()
    {
        var m = Fleet.Masters[0];
        var other = Fleet.Masters[1];
        var extra = "extra-" + Guid.NewGuid().ToString("N")[..8];
        await Fleet.CommitUpstreamAsync("buildbot-configs", "builders.py", LabFiles.BuildersPy("sleep", extra), $"add {extra}");
        await Fleet.PullAsync(m, "buildbot-configs");
        await Fleet.ReconfigAsync(m);

        using (var doc = await Fleet.GetJsonAsync(m, "builders"))
        {
            var b = doc.RootElement.GetProperty("builders").EnumerateArray().Single(x => x.GetProperty("name").GetString() == extra);
            Assert.NotEqual(0, b.GetProperty("masterids").GetArrayLength());
        }

        // The new builder really runs, and a master that did not pull does not have it.
        var brid = await Fleet.ForceBuildAsync(m, 1, extra);
        Assert.Equal(0, await Fleet.WaitForBuildAsync(m, brid, TimeSpan.FromSeconds(60)));
        using var otherDoc = await Fleet.GetJsonAsync(other, "builders");
        Assert.DoesNotContain(otherDoc.RootElement.GetProperty("builders").EnumerateArray(), x => x.GetProperty("name").GetString() == extra);
    }

    [Fact]
    public async Task A_syntax_error_upstream_fails_checkconfig()
    {
        var m = Fleet.Masters[1];
        var good = await File.ReadAllTextAsync(Path.Combine(Fleet.UpstreamDir("buildbot-configs"), "builders.py"));
        try
        {
            await Fleet.CommitUpstreamAsync("buildbot-configs", "builders.py", good + "\ndef broken(:\n", "break builders.py");
            await Fleet.PullAsync(m, "buildbot-configs");
            var bad = await Fleet.CheckConfigAsync(m);
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("SyntaxError", bad.StdOut + bad.StdErr);
        }
        finally
        {
            await Fleet.CommitUpstreamAsync("buildbot-configs", "builders.py", good, "repair builders.py");
            await Fleet.PullAsync(m, "buildbot-configs");
        }

        var ok = await Fleet.CheckConfigAsync(m);
        Assert.True(ok.ExitCode == 0, ok.StdOut + ok.StdErr);
        Assert.Contains("Config file is good!", ok.StdOut);
    }

    [Fact]
    public async Task A_master_stopped_behind_wranglers_back_comes_back_with_its_workers()
    {
        var m = Fleet.Masters[2];
        await Fleet.StopMasterAsync(m);
        Assert.False(await Accepts(m.HttpPort));
        await Fleet.StartMasterAsync(m);
        using var doc = await Fleet.GetJsonAsync(m, "workers");
        Assert.All(doc.RootElement.GetProperty("workers").EnumerateArray(), w => Assert.NotEqual(0, w.GetProperty("connected_to").GetArrayLength()));
        Assert.Contains(Fleet.Pids, p => p.Kind == "master" && p.Name == m.Name && p.Pid == int.Parse(File.ReadAllText(m.TwistdPidFile).Trim()));
    }

    internal static async Task<bool> Accepts(int port)
    {
        using var c = new TcpClient();
        try
        {
            await c.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
