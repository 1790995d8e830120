using Wrangler.Core.Leases;

namespace Wrangler.Dashboard.Model;

/// <summary>
/// Whether this Wrangler may change anything, cascaded by the layout to every page: a follower (docs/ha.md) disables
/// its write buttons, with <see cref="Refusal"/> as their tooltip, and each handler checks again before it acts, so a
/// page refuses exactly what the API refuses.
/// </summary>
public sealed record WriteAccess(bool Allowed, string? Refusal)
{
    /// <summary>What a page assumes when nothing cascades (a component rendered on its own): the instance leads.</summary>
    public static readonly WriteAccess Leader = new(true, null);

    public static WriteAccess Of(LeaderLease lease) => lease.IsLeader ? Leader : new(false, lease.Refusal);
}
