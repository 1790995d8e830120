using Wrangler.Core.Fleet;

namespace Wrangler.Core.Integrations;

/// <summary>Silences monitoring for a master while a campaign has it down, so a planned restart pages nobody.</summary>
public interface IMonitoringDowntime
{
    /// <summary>False when no monitoring is configured; calls then do nothing.</summary>
    bool IsConfigured { get; }

    /// <summary>Downtime for the master's host and all its services, from now for <paramref name="duration"/>.</summary>
    Task ScheduleAsync(MasterInfo master, TimeSpan duration, string author, string comment, CancellationToken ct);

    /// <summary>Ends every downtime of the master's host and its services.</summary>
    Task EndAsync(MasterInfo master, string author, CancellationToken ct);
}

/// <summary>Used when <c>Wrangler:Nagios:CommandFile</c> is unset.</summary>
public sealed class NoDowntime : IMonitoringDowntime
{
    public bool IsConfigured => false;

    public Task ScheduleAsync(MasterInfo master, TimeSpan duration, string author, string comment, CancellationToken ct) => Task.CompletedTask;

    public Task EndAsync(MasterInfo master, string author, CancellationToken ct) => Task.CompletedTask;
}
