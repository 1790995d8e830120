using System.Net.Http.Json;
using System.Text.Json;
using Wrangler.Lab;

namespace Wrangler.Dashboard.Tests.Fleet;

/// <summary>A real 3-master lab and the real app watching it, polling every 2 s, shared by the fleet tests.</summary>
public sealed class FleetLabFixture : IAsyncLifetime
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    /// <summary>The promise: a change shows within one poll interval plus 5 s.</summary>
    public static readonly TimeSpan Within = PollInterval + TimeSpan.FromSeconds(5);

    private LabFleet? lab;
    private AppHost? app;

    public LabFleet Lab => lab ?? throw new InvalidOperationException("the lab did not start");
    public AppHost App => app ?? throw new InvalidOperationException("the app did not start");

    /// <summary>The inventory as the lab wrote it, for tests that edit the file and must put it back.</summary>
    public string OriginalInventory { get; private set; } = "";

    public async Task InitializeAsync()
    {
        lab = await LabFleet.StartAsync(new LabOptions { StartTimeout = TimeSpan.FromMinutes(4) });
        OriginalInventory = await File.ReadAllTextAsync(lab.InventoryPath);
        app = await AppHost.StartAsync([.. lab.SettingsArgs, $"--Wrangler:PollInterval={PollInterval:c}", "--Wrangler:PollTimeout=00:00:10"]);

        // Every test starts from a fleet Wrangler has seen running, so "not polled yet" never passes for an answer.
        foreach (var m in lab.Masters)
        {
            await EventuallyAsync(m.Name, j => j.GetProperty("state").GetString() == "running", "running at start", TimeSpan.FromSeconds(30));
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

    public async Task<JsonElement[]> MastersAsync() =>
        (await App.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))!;

    public async Task<JsonElement> MasterAsync(string name) =>
        (await MastersAsync()).Single(m => m.GetProperty("name").GetString() == name);

    /// <summary>Polls the API until <paramref name="condition"/> holds, failing with the last answer after <see cref="Within"/>.</summary>
    public async Task<JsonElement> EventuallyAsync(string name, Func<JsonElement, bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Within);
        JsonElement last;
        do
        {
            last = await MasterAsync(name);
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        throw new Xunit.Sdk.XunitException($"{name}: {what} not seen within {(within ?? Within).TotalSeconds} s; last answer: {last}");
    }
}

// Labs run side by side with the other collections; only their start-ups take turns (tests/Lab/LabStartGate.cs).
[CollectionDefinition("fleet-lab")]
public sealed class FleetLabCollection : ICollectionFixture<FleetLabFixture>
{
}
