using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Wrangler.Dashboard.Tests.LongestFirst", "Wrangler.Dashboard.Tests")]

namespace Wrangler.Dashboard.Tests;

/// <summary>
/// Starts the longest collections first (the lab ones, minutes each), so the short ones fill the other slots
/// (xunit.runner.json) instead of a long one starting last and running alone at the end. Three slots: four let the short
/// ones start beside the labs, but the suite is CPU-bound on 2 cores, so every lab test took longer and the whole
/// took as long (11 m 8 s against 11 m 21 s on 2026-12-04, .ci/run's slowest-tests list).
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    // Longest first, from a run's per-collection times; anything not named follows, in name order.
    private static readonly string[] Known =
    [
        "campaign-lab", "schedule-lab", "sync-lab", "runner-lab",
        "Test collection for Wrangler.Dashboard.Tests.Hub.HubTests", "fleet-lab",
        "Test collection for Wrangler.Dashboard.Tests.Upgrade.UpgradeLabTests", "workers-lab",
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections
            .OrderBy(c => Array.IndexOf(Known, c.DisplayName) is var i and >= 0 ? i : Known.Length)
            .ThenBy(c => c.DisplayName, StringComparer.Ordinal);
}
