using System.Collections.Immutable;

namespace Wrangler.Core.Fleet;

/// <summary>Where the inventory in force came from and what went wrong with the last attempt to replace it.</summary>
public sealed record InventoryStatus(
    string Source,
    bool IsDemo,
    int MasterCount,
    DateTimeOffset LoadedAt,
    IReadOnlyList<InventoryProblem> Problems,
    string? Error,
    DateTimeOffset? FailedAt)
{
    public bool HasError => Error is not null || Problems.Count > 0;
}

/// <summary>The fleet at one moment, ordered by role, bucket, name.</summary>
public sealed record FleetSnapshot(ImmutableArray<MasterState> Masters, InventoryStatus Inventory);

/// <summary>One batch of changes: masters whose state changed, masters that left the inventory, and a new inventory status if it changed.</summary>
public sealed record FleetChange(ImmutableArray<MasterState> Updated, ImmutableArray<string> Removed, InventoryStatus? Inventory);

/// <summary>The snapshot and the changes after it, in one call so nothing falls between them.</summary>
public sealed record FleetSubscription(FleetSnapshot Initial, IAsyncEnumerable<FleetChange> Changes);

public interface IFleetMonitor
{
    FleetSnapshot Current { get; }

    MasterState? Find(string name);

    /// <summary>Changes are delivered until <paramref name="ct"/> is cancelled; a subscriber that falls far behind is sent fresh state, not every step.</summary>
    FleetSubscription Subscribe(CancellationToken ct);

    /// <summary>Campaigns mark what they are doing to a master (draining, starting, reconfiguring), or clear it with null.</summary>
    void SetCampaignStatus(string master, MasterStatus? status, string? detail);

    /// <summary>Polls one master now (after a campaign step) and returns its new state.</summary>
    Task<MasterState?> RefreshAsync(string master, CancellationToken ct);
}
