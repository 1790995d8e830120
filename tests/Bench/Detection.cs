using System.Net.Http.Json;
using System.Text.Json;
using Wrangler.Lab;

namespace Wrangler.Bench;

/// <summary>
/// Section 2: from a change made in Buildbot to the change visible in Wrangler's API, on the lab, Wrangler at its
/// default 15 s poll. Worker and build changes reach Wrangler over each master's event stream (src/Core/Workers);
/// a master's own stop shows when its stream closes, which makes Wrangler poll that master at once.
/// </summary>
internal sealed class Detection(LabFleet lab, int trials)
{
    public async Task<IReadOnlyList<Row>> RunAsync()
    {
        await using var app = AppProcess.Start([.. lab.SettingsArgs, "--Wrangler:PollInterval=00:00:15"]);
        var m = lab.Masters[0];
        var w = m.Workers[0];
        var worker = $"/api/v1/workers/{Uri.EscapeDataString(w.Name)}";
        await app.UntilAsync(worker, j => j.GetProperty("state").GetString() == "idle", "the lab worker idle in Wrangler", TimeSpan.FromMinutes(2));
        using var buildbot = new HttpClient { BaseAddress = new Uri(m.ApiUrl + "/") };
        using var doc = await lab.GetJsonAsync(m, $"workers?name={Uri.EscapeDataString(w.Name)}");
        var workerId = doc.RootElement.GetProperty("workers")[0].GetProperty("workerid").GetInt32();

        var paused = new List<double>();
        var started = new List<double>();
        var disconnected = new List<double>();
        var stopped = new List<double>();
        for (var i = 0; i < trials; i++)
        {
            await ControlAsync(buildbot, workerId, "pause");
            paused.Add(await app.UntilAsync(worker, j => j.GetProperty("paused").GetBoolean(), "the worker paused"));
            await ControlAsync(buildbot, workerId, "unpause");
            await app.UntilAsync(worker, j => !j.GetProperty("paused").GetBoolean(), "the worker unpaused");

            var hold = Path.Combine(lab.Root, $"bench-hold-{i}");
            File.WriteAllText(hold, "");
            var request = await lab.ForceBuildAsync(m, 0, "sleep", hold);
            started.Add(await app.UntilAsync(worker, j => j.GetProperty("runningBuilds").GetArrayLength() > 0, "the forced build running"));
            File.Delete(hold);
            await lab.WaitForBuildAsync(m, request, TimeSpan.FromMinutes(2));
            await app.UntilAsync(worker, j => j.GetProperty("runningBuilds").GetArrayLength() == 0, "the build over");

            await lab.StopWorkerAsync(w);
            disconnected.Add(await app.UntilAsync(worker, j => j.GetProperty("state").GetString() == "disconnected", "the worker disconnected"));
            await lab.StartWorkerAsync(w);
            await app.UntilAsync(worker, j => j.GetProperty("state").GetString() == "idle", "the worker back");
        }

        // Master stops are slow to undo (a Buildbot start is seconds), so fewer of them.
        var master = $"/api/v1/masters/{Uri.EscapeDataString(m.Name)}";
        for (var i = 0; i < Math.Max(1, trials / 4); i++)
        {
            await app.UntilAsync(master, j => j.GetProperty("state").GetString() == "running", "the master running", TimeSpan.FromMinutes(2));
            await lab.StopMasterAsync(m);
            stopped.Add(await app.UntilAsync(master, j => j.GetProperty("state").GetString() == "stopped", "the master stopped", TimeSpan.FromMinutes(2)));
            await lab.StartMasterAsync(m);
        }

        const string From = "from the change in Buildbot to /api/v1";
        return
        [
            new("detection", "worker paused (event stream)", paused, Note: From),
            new("detection", "build started (event stream; from the force request)", started, Note: From),
            new("detection", "worker disconnected (event stream)", disconnected, Note: From),
            new("detection", "master stopped (its closed event stream triggers a poll; 15 s poll otherwise)", stopped, Note: From),
        ];
    }

    private static async Task ControlAsync(HttpClient buildbot, int workerId, string method)
    {
        using var resp = await buildbot.PostAsJsonAsync($"workers/{workerId}", new { jsonrpc = "2.0", method, id = 1, @params = new { reason = "bench" } });
        var text = await resp.Content.ReadAsStringAsync();
        if (!resp.IsSuccessStatusCode || text.Contains("\"error\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{method} of worker {workerId}: {(int)resp.StatusCode} {text}");
        }
    }
}
