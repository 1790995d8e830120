using System.Net.Http.Json;
using System.Text.Json;

namespace Wrangler.Dashboard.Tests.Fleet;

/// <summary>
/// What a newcomer gets on first run: no inventory, the built-in demo fleet, labelled as such in the API. The page's half
/// (banner, every master, search) is a component test now: tests/Components.Tests/FleetPageTests.cs.
/// </summary>
public sealed class DemoFleetPageTests : IAsyncLifetime
{
    private AppHost host = null!;

    public async Task InitializeAsync() => host = await AppHost.StartAsync("--Wrangler:Demo:Seed=42");

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Without_an_inventory_the_api_serves_a_labelled_demo_fleet_of_real_size()
    {
        var inventory = await host.Client.GetFromJsonAsync<JsonElement>("/api/v1/inventory");
        Assert.True(inventory.GetProperty("demo").GetBoolean());

        var masters = await EventuallyPolledAsync();
        Assert.True(masters.Length >= 20, $"{masters.Length} masters");
        Assert.True(masters.Select(m => m.GetProperty("bucket").GetString()).Distinct().Count() >= 5);
        Assert.Equal(2, masters.Select(m => m.GetProperty("datacentre").GetString()).Distinct().Count());
        Assert.Contains(masters, m => m.GetProperty("state").GetString() == "disabled");
        Assert.True(masters.Sum(m => m.GetProperty("runningBuilds").GetInt32()) > 0, "no builds running in the demo");
        Assert.Contains(masters, m => m.GetProperty("inSync").ValueKind == JsonValueKind.False);

        var one = await host.Client.GetFromJsonAsync<JsonElement>($"/api/v1/masters/{masters[0].GetProperty("name").GetString()}");
        Assert.True(one.GetProperty("workerList").GetArrayLength() > 0);
        var missing = await host.Client.GetAsync("/api/v1/masters/no-such-master");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<JsonElement[]> EventuallyPolledAsync()
    {
        for (var i = 0; i < 100; i++)
        {
            var masters = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))!;
            if (masters.Length > 0 && masters.All(m => m.GetProperty("state").GetString() == "disabled" || m.GetProperty("lastPolledAt").ValueKind != JsonValueKind.Null))
            {
                return masters;
            }

            await Task.Delay(200);
        }

        throw new Xunit.Sdk.XunitException("the demo fleet was not polled within 20 s");
    }
}
