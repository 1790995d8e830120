using System.Collections.Immutable;
using Wrangler.Core.Fleet;

namespace Wrangler.Components.Tests;

/// <summary>A fleet that is whatever the test says; nothing is polled.</summary>
internal sealed class FakeFleetMonitor(IEnumerable<MasterState> masters, bool demo = false) : IFleetMonitor
{
    private readonly ImmutableArray<MasterState> masters = [.. masters];

    public FleetSnapshot Current => new(masters, new InventoryStatus(demo ? "demo" : "test", demo, masters.Length, DateTimeOffset.UnixEpoch, [], null, null));

    public MasterState? Find(string name) => masters.FirstOrDefault(m => m.Name == name);

    public FleetSubscription Subscribe(CancellationToken ct) => new(Current, Never(ct));

    public void SetCampaignStatus(string master, MasterStatus? status, string? detail)
    {
    }

    public Task<MasterState?> RefreshAsync(string master, CancellationToken ct) => Task.FromResult(Find(master));

    private static async IAsyncEnumerable<FleetChange> Never([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
        yield break;
    }
}
