using System.ComponentModel.DataAnnotations;

namespace Wrangler.Core.Workers;

/// <summary>The <c>Wrangler:Workers</c> section (the Workers issue's contract names these keys).</summary>
public sealed class WorkerOptions
{
    public const string Section = "Wrangler:Workers";

    /// <summary>A worker configured on an enabled master and disconnected for longer than this is CRITICAL.</summary>
    public TimeSpan MissingAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A worker that has neither (re)connected nor started a build for longer than this is CRITICAL.</summary>
    public TimeSpan CycleDeadline { get; set; } = TimeSpan.FromHours(7);

    /// <summary>How far back the fleet's builds index reaches.</summary>
    public TimeSpan BuildHistory { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A regular expression whose first group is the pool; null: the name less its trailing <c>-&lt;digits&gt;</c>.</summary>
    public string? PoolPattern { get; set; }

    /// <summary>At most this many workers of one pool in a single selection action on the Workers page.</summary>
    [Range(1, 1000)]
    public int SelectionCap { get; set; } = 10;
}
