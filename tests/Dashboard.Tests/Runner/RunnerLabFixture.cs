using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Wrangler.Core.Auth;
using Wrangler.Lab;

namespace Wrangler.Dashboard.Tests.Runner;

/// <summary>
/// A real master with one real buildbot-worker, which the tests run under wrangler-runner (the lab's own worker
/// process is stopped first and its buildbot.tac switched to allow_shutdown='file'), and the real app on a fixed
/// port and database, so a test can stop Wrangler and start it again where the runner expects it.
/// </summary>
public sealed class RunnerLabFixture : IAsyncLifetime
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("wrangler-runner-lab-").FullName;
    private LabFleet? lab;
    private AppHost? app;

    public LabFleet Lab => lab ?? throw new InvalidOperationException("the lab did not start");
    public AppHost App => app ?? throw new InvalidOperationException("the app is not running");
    public LabMaster Master => Lab.Masters[0];
    public LabWorker Worker => Master.Workers[0];
    public int Port { get; } = Wrangler.Lab.LoopbackPorts.Next();
    public string ReporterToken { get; private set; } = "";

    public async Task InitializeAsync()
    {
        lab = await LabFleet.StartAsync(new LabOptions { Masters = 1, WorkersPerMaster = 1, StartTimeout = TimeSpan.FromMinutes(4) });
        await Lab.StopWorkerAsync(Worker);
        var tac = Path.Combine(Worker.Dir, "buildbot.tac");
        var text = await File.ReadAllTextAsync(tac);
        Assert.Contains("allow_shutdown=None", text);
        await File.WriteAllTextAsync(tac, text.Replace("allow_shutdown=None", "allow_shutdown='file'"));
        await StartAppAsync();
        ReporterToken = (await App.CreateTokenAsync("runner-" + Worker.Name, Role.Reporter)).Secret;
    }

    public async Task StartAppAsync()
    {
        app = await AppHost.StartAsync([
            .. Lab.SettingsArgs,
            "--urls", $"http://127.0.0.1:{Port}",
            $"--Wrangler:Database={Path.Combine(dataDir, "wrangler.db")}",
        ]);
    }

    public async Task StopAppAsync()
    {
        await App.DisposeAsync();
        app = null;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        if (lab is not null)
        {
            await lab.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataDir, recursive: true);
    }

    /// <summary>The worker's cycles as GET /api/v1/workers/{name} shows them, newest first, started at or after <paramref name="since"/>.</summary>
    public async Task<List<JsonElement>> CyclesAsync(DateTimeOffset since)
    {
        using var resp = await App.Client.GetAsync($"/api/v1/workers/{Uri.EscapeDataString(Worker.Name)}");
        if (resp.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        var w = await resp.Content.ReadFromJsonAsync<JsonElement>();
        return [.. w.GetProperty("cycles").EnumerateArray().Where(c => c.GetProperty("startedAt").GetDateTimeOffset() >= since).Select(c => c.Clone())];
    }

    public static IReadOnlyList<string> Phases(JsonElement cycle) =>
        [.. cycle.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("phase").GetString()!)];

    /// <summary>Polls the worker's cycles every 100 ms until the condition holds; fails with what was last seen.</summary>
    public async Task<List<JsonElement>> EventuallyAsync(DateTimeOffset since, Func<List<JsonElement>, bool> condition, string what, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        List<JsonElement> last = [];
        while (sw.Elapsed < within)
        {
            last = await CyclesAsync(since);
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"not within {within}: {what}; cycles seen: {string.Join(" | ", last.Select(c => string.Join(' ', Phases(c))))}");
        return last;
    }
}

[CollectionDefinition("runner-lab")]
public sealed class RunnerLabCollection : ICollectionFixture<RunnerLabFixture>
{
}
