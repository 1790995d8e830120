using Microsoft.Extensions.Logging;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Integrations;

/// <summary>Nagios downtimes through external commands (SCHEDULE_HOST_DOWNTIME, SCHEDULE_HOST_SVC_DOWNTIME, DEL_DOWNTIME_BY_HOST_NAME).</summary>
public sealed class NagiosDowntime(INagiosCommandSink sink, string hostNameTemplate, TimeProvider time, ILogger<NagiosDowntime>? logger = null) : IMonitoringDowntime
{
    public bool IsConfigured => true;

    public INagiosCommandSink Sink => sink;

    public string HostNameFor(MasterInfo master) => NagiosCommands.HostNameFor(master, hostNameTemplate);

    public async Task ScheduleAsync(MasterInfo master, TimeSpan duration, string author, string comment, CancellationToken ct)
    {
        var host = HostNameFor(master);
        await sink.WriteAsync(NagiosCommands.ScheduleDowntime(host, time.GetUtcNow(), duration, author, comment), ct).ConfigureAwait(false);
        logger?.LogInformation("Nagios downtime for {Host} ({Master}) for {Duration} written to {Sink}", host, master.Name, duration, sink.Describe());
    }

    public async Task EndAsync(MasterInfo master, string author, CancellationToken ct)
    {
        // Nagios' delete command carries no author; it is logged here so the audit trail still says who ended it.
        var host = HostNameFor(master);
        await sink.WriteAsync(NagiosCommands.EndDowntime(host, time.GetUtcNow()), ct).ConfigureAwait(false);
        logger?.LogInformation("Nagios downtime for {Host} ({Master}) ended by {Author} via {Sink}", host, master.Name, author, sink.Describe());
    }
}
