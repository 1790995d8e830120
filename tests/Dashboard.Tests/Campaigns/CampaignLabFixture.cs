using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Wrangler.Dashboard.Tests.Fleet;
using Wrangler.Lab;

namespace Wrangler.Dashboard.Tests.Campaigns;

/// <summary>
/// A real lab of 5 masters — three in tests1-linux32, one in build1, one in try1 — watched and driven by the real app.
/// </summary>
public sealed class CampaignLabFixture : IAsyncLifetime
{
    public static readonly LabMasterSpec[] Specs =
    [
        new("bm01-tests1-linux32", "tests"),
        new("bm02-tests1-linux32", "tests"),
        new("bm03-tests1-linux32", "tests"),
        new("bm04-build1", "build"),
        new("bm05-try1", "try"),
    ];

    private LabFleet? lab;
    private AppHost? app;

    public LabFleet Lab => lab ?? throw new InvalidOperationException("the lab did not start");
    public AppHost App => app ?? throw new InvalidOperationException("the app did not start");

    public async Task InitializeAsync()
    {
        lab = await LabFleet.StartAsync(new LabOptions { Specs = Specs, WithNagios = true, WithAllocator = true, StartTimeout = TimeSpan.FromMinutes(4) });
        app = await AppHost.StartAsync([.. lab.SettingsArgs, "--Wrangler:PollInterval=00:00:02", "--Wrangler:PollTimeout=00:00:10"]);
        foreach (var m in lab.Masters)
        {
            await WaitForMasterAsync(m.Name, j => j.GetProperty("state").GetString() == "running" && j.GetProperty("workers").GetProperty("connected").GetInt32() == m.Workers.Count,
                "running with its workers", TimeSpan.FromSeconds(30));
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
    }

    public async Task<long> CreateAsync(object request)
    {
        await AbortLeftoversAsync();
        using var resp = await App.Client.PostAsJsonAsync("/api/v1/campaigns", request);
        var body = await resp.Content.ReadAsStringAsync();
        Xunit.Assert.True(resp.StatusCode == System.Net.HttpStatusCode.Created, $"create: {(int)resp.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    /// <summary>A test that failed half-way must not block the next one with its still-active campaign.</summary>
    public async Task AbortLeftoversAsync()
    {
        foreach (var c in (await App.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/campaigns"))!)
        {
            if (State(c) is "awaitingApproval" or "running" or "paused" or "parked")
            {
                await App.Client.PostAsJsonAsync($"/api/v1/campaigns/{c.GetProperty("id").GetInt64()}/abort", new { reason = "left over by an earlier test" });
            }
        }
    }

    public async Task<JsonElement> PostAsync(string path, int expect = 200)
    {
        using var resp = await App.Client.PostAsJsonAsync(path, new { });
        var body = await resp.Content.ReadAsStringAsync();
        Xunit.Assert.True((int)resp.StatusCode == expect, $"POST {path}: {(int)resp.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> CampaignAsync(long id) => await App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");

    public async Task<JsonElement> WaitForCampaignAsync(long id, Func<JsonElement, bool> condition, string what, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonElement last;
        do
        {
            last = await CampaignAsync(id);
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(300);
        }
        while (DateTime.UtcNow < deadline);

        throw new Xunit.Sdk.XunitException($"campaign {id}: {what} not seen within {within}; last: {last}");
    }

    public async Task<JsonElement> WaitForMasterAsync(string name, Func<JsonElement, bool> condition, string what, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        JsonElement last;
        do
        {
            last = (await App.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))!.Single(m => m.GetProperty("name").GetString() == name);
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(300);
        }
        while (DateTime.UtcNow < deadline);

        throw new Xunit.Sdk.XunitException($"{name}: {what} not seen within {within}; last: {last}");
    }

    /// <summary>
    /// Releases each held build once its master's drain is under way in campaign <paramref name="id"/> (the clean
    /// shutdown asked for and waiting), so the drain really waits for a build however slow the steps before it were.
    /// Once the campaign is over, whatever is still held is released.
    /// </summary>
    public async Task ReleaseWhenDrainingAsync(long id, IReadOnlyList<HeldBuild> held, CancellationToken ct)
    {
        try
        {
            while (held.Any(h => !h.Released))
            {
                var c = await CampaignAsync(id);
                if (State(c) is "succeeded" or "failed" or "parked" or "aborted")
                {
                    break;
                }

                foreach (var h in held.Where(h => !h.Released))
                {
                    var drain = Step(Master(c, h.Master.Name), "drain");
                    if (drain.GetProperty("detail").GetString()?.StartsWith("draining for", StringComparison.Ordinal) == true)
                    {
                        h.Release();
                    }
                }

                await Task.Delay(300, ct);
            }
        }
        finally
        {
            foreach (var h in held)
            {
                h.Release();
            }
        }
    }

    /// <summary>How many times the master's twistd.log says it began a clean shutdown at or after <paramref name="since"/>.</summary>
    public static int CleanShutdownsSince(LabMaster m, DateTimeOffset since) =>
        File.ReadLines(Path.Combine(m.MasterDir, "twistd.log"))
            .Where(l => l.Contains("Initiating clean shutdown", StringComparison.Ordinal))
            .Count(l => DateTimeOffset.TryParseExact(l[..24], "yyyy-MM-dd HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) && at >= since);

    /// <summary>Ledger rows of the database at <paramref name="dbPath"/> not yet undone: what a campaign left on masters.</summary>
    public static async Task<long> OpenLedgerRowsAsync(string dbPath)
    {
        await using var db = new SqliteConnection($"Data Source={dbPath}");
        await db.OpenAsync();
        await using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM Ledger WHERE UndoneAt IS NULL";
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public static JsonElement Master(JsonElement campaign, string name) =>
        campaign.GetProperty("masters").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);

    public static JsonElement Step(JsonElement master, string step) =>
        master.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == step);

    public static string State(JsonElement e) => e.GetProperty("state").GetString()!;
}

// Labs run side by side with the other collections; only their start-ups take turns (tests/Lab/LabStartGate.cs).
[CollectionDefinition("campaign-lab")]
public sealed class CampaignLabCollection : ICollectionFixture<CampaignLabFixture>
{
}

// The schedule tests get a lab of their own, so they run beside the campaign tests instead of after them.
[CollectionDefinition("schedule-lab")]
public sealed class ScheduleLabCollection : ICollectionFixture<CampaignLabFixture>
{
}
