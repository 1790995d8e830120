using System.Net.Http.Json;
using System.Text.Json;
using Wrangler.Dashboard.Tests.Fleet;
using Wrangler.Lab;

namespace Wrangler.Dashboard.Tests.Workers;

/// <summary>
/// A real 2-master lab (2 buildbot-worker processes each) and the real app watching it. The REST poll is slow on
/// purpose (15 s), so anything seen within 2 s came from the masters' event streams. MissingAfter is 3 s; a worker's pool is its master's name.
/// The database outlives the app, so a test can restart Wrangler on it.
/// </summary>
public sealed class WorkersLabFixture : IAsyncLifetime
{
    public static readonly TimeSpan MissingAfter = TimeSpan.FromSeconds(3);

    /// <summary>Lab workers are named "{master}-w{n}": one pool per master.</summary>
    public const string PoolPattern = @"^(.+)-w\d+$";

    private readonly string dataDir = Directory.CreateTempSubdirectory("wrangler-workers-").FullName;
    private LabFleet? lab;
    private AppHost? app;

    public LabFleet Lab => lab ?? throw new InvalidOperationException("the lab did not start");
    public AppHost App => app ?? throw new InvalidOperationException("the app did not start");

    public async Task InitializeAsync()
    {
        lab = await LabFleet.StartAsync(new LabOptions { Masters = 2, WorkersPerMaster = 2, StartTimeout = TimeSpan.FromMinutes(4) });
        await StartAppAsync();
    }

    /// <summary>Stops Wrangler and starts it again on the same database.</summary>
    public async Task RestartAppAsync()
    {
        await App.DisposeAsync();
        app = null;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await StartAppAsync();
    }

    private async Task StartAppAsync()
    {
        app = await AppHost.StartAsync([
            .. Lab.SettingsArgs,
            "--Wrangler:PollInterval=00:00:15",
            $"--Wrangler:Workers:MissingAfter={MissingAfter:c}",
            $"--Wrangler:Workers:PoolPattern={PoolPattern}",
            $"--Wrangler:Database={Path.Combine(dataDir, "wrangler.db")}",
        ]);
        foreach (var w in Lab.Masters.SelectMany(m => m.Workers))
        {
            await EventuallyAsync(w.Name, j => j.GetProperty("state").GetString() != "disconnected", "connected at start", TimeSpan.FromSeconds(30));
        }
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

    public async Task<JsonElement[]> WorkersAsync() =>
        (await App.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/workers"))!;

    public async Task<JsonElement?> WorkerAsync(string name) =>
        (await WorkersAsync()).Cast<JsonElement?>().SingleOrDefault(w => w!.Value.GetProperty("name").GetString() == name);

    /// <summary>Polls /api/v1/workers every 50 ms until the worker's entry satisfies the condition; fails with the last entry.</summary>
    public async Task<JsonElement> EventuallyAsync(string name, Func<JsonElement, bool> condition, string what, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonElement? last;
        do
        {
            last = await WorkerAsync(name);
            if (last is { } w && condition(w))
            {
                return w;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        throw new Xunit.Sdk.XunitException($"{name}: {what} not seen within {within.TotalSeconds} s; last entry: {last}");
    }

    /// <summary>POSTs a worker action through Wrangler's API as the admin token.</summary>
    public Task<HttpResponseMessage> ActAsync(string worker, string action, string reason, DateTimeOffset? until = null) =>
        App.Client.PostAsJsonAsync($"/api/v1/workers/{Uri.EscapeDataString(worker)}/{action}", new { reason, until });

    public async Task<JsonElement> BuildbotWorkerAsync(LabMaster m, string worker)
    {
        using var doc = await Lab.GetJsonAsync(m, $"workers?name={Uri.EscapeDataString(worker)}");
        return doc.RootElement.GetProperty("workers")[0].Clone();
    }
}

[CollectionDefinition("workers-lab")]
public sealed class WorkersLabCollection : ICollectionFixture<WorkersLabFixture>
{
}
