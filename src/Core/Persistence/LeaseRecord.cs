namespace Wrangler.Core.Persistence;

/// <summary>
/// The leader lease: the one Wrangler instance that runs campaigns and schedules holds this row and renews it
/// (docs/ha.md). <see cref="Version"/> is the concurrency token, so two instances taking it at once cannot both win.
/// </summary>
public sealed class LeaseRecord
{
    public required string Name { get; set; }

    /// <summary>Random per process start: which process holds the lease (names may repeat across restarts).</summary>
    public required string Owner { get; set; }

    /// <summary>The holder's instance name, for the banner and ProblemDetails.</summary>
    public required string Holder { get; set; }

    public required string Host { get; set; }
    public int Pid { get; set; }

    /// <summary>Where the holder serves, if known (its first listening address), so a follower can point people at it.</summary>
    public string? Url { get; set; }

    public DateTimeOffset Since { get; set; }
    public DateTimeOffset RenewedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public long Version { get; set; }
}
