using System.Net.Http.Json;
using System.Text.Json;
using Wrangler.Dashboard.Tests.Fleet;
using Wrangler.Lab;

namespace Wrangler.Dashboard.Tests.Sync;

/// <summary>
/// A real 3-master lab (two in tests1-linux32, one in build1) followed by the real app with auto-reconfig on and
/// short windows, so a push upstream goes live with nobody touching Wrangler.
/// </summary>
public sealed class SyncLabFixture : IAsyncLifetime
{
    // 20 s, not 10: the quiet-window test needs Wrangler to see a second push inside the window, and a CI run beside
    // a CPU hog (load 54 on 2 cores) took 13 s to see one.
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DriftAfter = TimeSpan.FromSeconds(35);
    public const string BugUrl = "https://bugzilla.example.org/show_bug.cgi?id={id}";

    private LabFleet? lab;
    private AppHost? app;

    public LabFleet Lab => lab ?? throw new InvalidOperationException("the lab did not start");
    public AppHost App => app ?? throw new InvalidOperationException("the app did not start");
    public string[] Names => [.. Lab.Masters.Select(m => m.Name)];

    public async Task InitializeAsync()
    {
        lab = await LabFleet.StartAsync(new LabOptions { Masters = 3, WorkersPerMaster = 1, StartTimeout = TimeSpan.FromMinutes(4) });
        app = await AppHost.StartAsync([
            .. lab.SettingsArgs,
            $"--Wrangler:PollInterval={Poll:c}", "--Wrangler:PollTimeout=00:00:10",
            "--Wrangler:Sync:AutoReconfig=true", $"--Wrangler:Sync:QuietWindow={Quiet:c}", $"--Wrangler:Sync:DriftAlarmAfter={DriftAfter:c}",
            "--Wrangler:Sync:Policy:PerBucket=2", $"--Wrangler:Sync:BugUrl={BugUrl}",
        ]);
        foreach (var m in lab.Masters)
        {
            await WaitForMasterAsync(m.Name, j => j.GetProperty("state").GetString() == "running" && j.GetProperty("inSync").ValueKind == JsonValueKind.True,
                "running and in sync", TimeSpan.FromSeconds(60));
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

    /// <summary>Every test starts from a fleet at the tip, no active campaign and no freeze.</summary>
    public async Task SettleAsync()
    {
        await App.Client.DeleteAsync("/api/v1/freeze?reason=test+start");
        await WaitAsync(async () =>
        {
            var masters = await MastersAsync();
            var campaigns = (await App.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/campaigns"))!;
            return masters.All(m => m.GetProperty("inSync").ValueKind == JsonValueKind.True)
                   && campaigns.All(c => State(c) is "succeeded" or "failed" or "aborted");
        }, "a settled fleet (all in sync, no active campaign)", TimeSpan.FromMinutes(3));
    }

    public async Task<JsonElement[]> MastersAsync() => (await App.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))!;

    public async Task<JsonElement[]> AutoCampaignsAsync() =>
        [.. (await App.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/campaigns"))!.Where(c => c.GetProperty("createdBy").GetString() == "auto-reconfig").OrderBy(c => c.GetProperty("id").GetInt64())];

    public async Task<JsonElement> CampaignAsync(long id) => await App.Client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");

    public async Task<JsonElement> SyncAsync() => await App.Client.GetFromJsonAsync<JsonElement>("/api/v1/sync");

    /// <summary>When Wrangler saw <paramref name="repo"/>'s production tip move to <paramref name="revision"/> (its own clock).</summary>
    public async Task<DateTimeOffset> TipSeenAsync(string repo, string revision)
    {
        DateTimeOffset? seen = null;
        JsonElement last = default;
        await WaitAsync(async () =>
        {
            last = await SyncAsync();
            seen = last.GetProperty("tips").EnumerateArray()
                .Where(t => t.GetProperty("repo").GetString() == repo && t.GetProperty("revision").GetString()!.StartsWith(revision, StringComparison.Ordinal))
                .Select(t => (DateTimeOffset?)t.GetProperty("movedAt").GetDateTimeOffset()).FirstOrDefault();
            return seen is not null;
        }, $"Wrangler seeing {repo} move to {revision}", TimeSpan.FromSeconds(30), () => last.ToString());
        return seen!.Value;
    }

    public async Task<(int Status, string Text)> NagiosAsync()
    {
        using var resp = await App.Client.GetAsync("/api/v1/checks/nagios");
        return ((int)resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    public async Task<(int Status, JsonElement Body)> LiveAsync(string repo, string revision)
    {
        using var resp = await App.Client.GetAsync($"/api/v1/revisions/live?repo={repo}&revision={revision}");
        var body = await resp.Content.ReadAsStringAsync();
        return ((int)resp.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>The first auto-reconfig campaign with an id above <paramref name="after"/>.</summary>
    public async Task<JsonElement> WaitForAutoCampaignAsync(long after, TimeSpan within)
    {
        JsonElement found = default;
        await WaitAsync(async () =>
        {
            var c = (await AutoCampaignsAsync()).FirstOrDefault(x => x.GetProperty("id").GetInt64() > after);
            found = c;
            return c.ValueKind == JsonValueKind.Object;
        }, $"an auto-reconfig campaign after #{after}", within);
        return found;
    }

    public Task<JsonElement> WaitForCampaignEndAsync(long id, TimeSpan within, params string[] states) =>
        WaitForCampaignAsync(id, c => states.Contains(State(c)), $"campaign {id} {string.Join("/", states)}", within);

    public async Task<JsonElement> WaitForCampaignAsync(long id, Func<JsonElement, bool> condition, string what, TimeSpan within)
    {
        JsonElement last = default;
        await WaitAsync(async () =>
        {
            last = await CampaignAsync(id);
            return condition(last);
        }, what, within, () => last.ToString());
        return last;
    }

    public async Task<JsonElement> WaitForMasterAsync(string name, Func<JsonElement, bool> condition, string what, TimeSpan within)
    {
        JsonElement last = default;
        await WaitAsync(async () =>
        {
            last = (await MastersAsync()).Single(m => m.GetProperty("name").GetString() == name);
            return condition(last);
        }, $"{name}: {what}", within, () => last.ToString());
        return last;
    }

    public static async Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan within, Func<string>? last = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"{what} not seen within {within}" + (last is null ? "" : $"; last: {last()}"));
            }

            await Task.Delay(300);
        }
    }

    public static string Revision(JsonElement master, string repo) =>
        master.GetProperty("repos").EnumerateArray().Single(r => r.GetProperty("name").GetString() == repo).GetProperty("revision").GetString()!;

    public static string State(JsonElement e) => e.GetProperty("state").GetString()!;
}

// Labs run side by side with the other collections; only their start-ups take turns (tests/Lab/LabStartGate.cs).
[CollectionDefinition("sync-lab")]
public sealed class SyncLabCollection : ICollectionFixture<SyncLabFixture>
{
}
