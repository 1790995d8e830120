using Wrangler.Core.Fleet;

namespace Wrangler.Core.Integrations;

/// <summary>Silences monitoring for a master while a campaign has it down, so a planned restart pages nobody.</summary>
public interface IMonitoringDowntime
{
    /// <summary>False when no monitoring is configured; calls then do nothing.</summary>
    bool IsConfigured { get; }

    /// <summary>
    /// Downtime for the master's host and all its services, from now for <paramref name="duration"/>. The comment
    /// should be unique (campaign and master): it is how the downtime is found again. The handle says which
    /// downtimes were created, as far as could be found out.
    /// </summary>
    Task<DowntimeHandle> ScheduleAsync(MasterInfo master, TimeSpan duration, string author, string comment, CancellationToken ct);

    /// <summary>
    /// Ends the downtimes of <paramref name="handle"/> by id; without ids, those found by its comment; failing that (or
    /// with no handle) every downtime of the host. Returns what was done, for the step's detail.
    /// </summary>
    Task<string> EndAsync(MasterInfo master, string author, DowntimeHandle? handle, CancellationToken ct);
}

/// <summary>Used when <c>Wrangler:Nagios:CommandFile</c> is unset.</summary>
public sealed class NoDowntime : IMonitoringDowntime
{
    public bool IsConfigured => false;

    public Task<DowntimeHandle> ScheduleAsync(MasterInfo master, TimeSpan duration, string author, string comment, CancellationToken ct) =>
        Task.FromResult(new DowntimeHandle(comment, [], "no monitoring configured"));

    public Task<string> EndAsync(MasterInfo master, string author, DowntimeHandle? handle, CancellationToken ct) => Task.FromResult("no monitoring configured");
}
