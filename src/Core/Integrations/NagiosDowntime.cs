using Microsoft.Extensions.Logging;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Integrations;

/// <summary>
/// Nagios downtimes through external commands: SCHEDULE_HOST_DOWNTIME + SCHEDULE_HOST_SVC_DOWNTIME, then the ids read
/// back from status.dat (by author and the unique comment) so that ending deletes exactly those (DEL_HOST_DOWNTIME,
/// DEL_SVC_DOWNTIME) and a downtime a person set on the same host survives. With no status file configured, or when
/// the ids cannot be found, ending falls back to DEL_DOWNTIME_BY_HOST_NAME and says so.
/// </summary>
public sealed class NagiosDowntime(
    INagiosCommandSink sink,
    string hostNameTemplate,
    TimeProvider time,
    ILogger<NagiosDowntime>? logger = null,
    INagiosStatusSource? status = null,
    TimeSpan? statusTimeout = null) : IMonitoringDowntime
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(500);

    private readonly TimeSpan statusTimeout = statusTimeout ?? TimeSpan.FromSeconds(30);

    public bool IsConfigured => true;

    public INagiosCommandSink Sink => sink;

    public INagiosStatusSource? Status => status;

    public string HostNameFor(MasterInfo master) => NagiosCommands.HostNameFor(master, hostNameTemplate);

    public async Task<DowntimeHandle> ScheduleAsync(MasterInfo master, TimeSpan duration, string author, string comment, CancellationToken ct)
    {
        var host = HostNameFor(master);
        await sink.WriteAsync(NagiosCommands.ScheduleDowntime(host, time.GetUtcNow(), duration, author, comment), ct).ConfigureAwait(false);
        logger?.LogInformation("Nagios downtime for {Host} ({Master}) for {Duration} written to {Sink}", host, master.Name, duration, sink.Describe());
        var safeComment = NagiosCommands.Text(comment);
        if (status is null)
        {
            return new DowntimeHandle(safeComment, [], "no Wrangler:Nagios:StatusFile, so its id is unknown: it will be ended by host name");
        }

        // Nagios takes the command on its next event-loop pass and lists it at the next status_update_interval
        // (10 s by default), so poll.
        var started = time.GetTimestamp();
        string? problem = null;
        while (true)
        {
            try
            {
                var ours = Ours(await status.ReadDowntimesAsync(ct).ConfigureAwait(false), host, author, safeComment);
                if (ours.Any(d => d.Type == "host"))
                {
                    return new DowntimeHandle(safeComment, ours, "Nagios downtime id(s) " + Describe(ours));
                }
            }
            catch (IntegrationException e)
            {
                problem = e.Message;
            }

            if (time.GetElapsedTime(started) >= this.statusTimeout)
            {
                var why = $"its id did not appear in {status.Describe()} within {this.statusTimeout.TotalSeconds:0} s{(problem is null ? "" : $" ({problem})")}";
                logger?.LogWarning("Nagios downtime for {Host}: {Why}", host, why);
                return new DowntimeHandle(safeComment, [], why + "; ending will look for it again, then fall back to DEL_DOWNTIME_BY_HOST_NAME");
            }

            await Task.Delay(PollEvery, time, ct).ConfigureAwait(false);
        }
    }

    public async Task<string> EndAsync(MasterInfo master, string author, DowntimeHandle? handle, CancellationToken ct)
    {
        var host = HostNameFor(master);
        var ids = handle?.Ids.ToList() ?? [];
        string? lookup = null;
        if (handle is not null && status is not null)
        {
            // Found again by comment too: a retried step scheduled a second one, or the ids were not found in time.
            try
            {
                foreach (var d in Ours(await status.ReadDowntimesAsync(ct).ConfigureAwait(false), host, null, handle.Comment))
                {
                    if (!ids.Contains(d))
                    {
                        ids.Add(d);
                    }
                }
            }
            catch (IntegrationException e)
            {
                lookup = e.Message;
            }
        }

        // Nagios' delete commands carry no author; it is logged here so the audit trail still says who ended it.
        if (ids.Count > 0)
        {
            await sink.WriteAsync(NagiosCommands.DeleteDowntimes(ids, time.GetUtcNow()), ct).ConfigureAwait(false);
            logger?.LogInformation("Nagios downtime(s) {Ids} on {Host} ({Master}) ended by {Author} via {Sink}", Describe(ids), host, master.Name, author, sink.Describe());
            return "downtime ended (Nagios id(s) " + Describe(ids) + ")";
        }

        await sink.WriteAsync(NagiosCommands.EndDowntime(host, time.GetUtcNow()), ct).ConfigureAwait(false);
        logger?.LogWarning("Nagios downtimes of {Host} ({Master}) ended by host name by {Author} via {Sink}: ids unknown", host, master.Name, author, sink.Describe());
        var why = handle is null ? "no record of which downtime was ours"
            : status is null ? "no Wrangler:Nagios:StatusFile to find its id"
            : lookup ?? "its id was not found in " + status.Describe();
        return $"downtime ended by host name (DEL_DOWNTIME_BY_HOST_NAME: {why}; this also ends any other downtime on {host})";
    }

    private static List<NagiosDowntimeId> Ours(IReadOnlyList<NagiosDowntimeEntry> all, string host, string? author, string comment) =>
        [.. all.Where(d => d.HostName == host && d.Comment == comment && (author is null || d.Author == NagiosCommands.Text(author)))
            .OrderBy(d => d.Type == "host" ? 0 : 1).ThenBy(d => d.Id)
            .Select(d => new NagiosDowntimeId(d.Type, d.Id))];

    private static string Describe(IEnumerable<NagiosDowntimeId> ids) => string.Join(", ", ids.Select(d => $"{d.Type} {d.Id}"));
}
