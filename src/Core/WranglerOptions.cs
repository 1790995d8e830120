using System.ComponentModel.DataAnnotations;

namespace Wrangler.Core;

/// <summary>The <c>Wrangler</c> configuration section (DESIGN.md, "Inventory and configuration").</summary>
public sealed class WranglerOptions
{
    public const string Section = "Wrangler";

    /// <summary>Path to the inventory JSON; null runs the built-in demo fleet.</summary>
    public string? Inventory { get; set; }

    /// <summary>SQLite file; relative paths are under the content root.</summary>
    [Required]
    public string Database { get; set; } = "data/wrangler.db";

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long one master's poll (SSH facts plus REST) may take before it counts as unreachable.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Masters polled at once; the rest wait their turn, each on its own schedule.</summary>
    [Range(1, 256)]
    public int PollParallelism { get; set; } = 16;

    /// <summary>This instance's name in the leader lease, the banner and refusals; default "host:pid" (docs/ha.md).</summary>
    [MaxLength(100)]
    public string? Instance { get; set; }

    /// <summary>How long the leader lease lasts unrenewed; it is renewed, and followers look, every third of it.</summary>
    [Range(typeof(TimeSpan), "00:00:03", "00:05:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);
}
