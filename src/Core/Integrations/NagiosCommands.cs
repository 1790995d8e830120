using System.Globalization;
using System.Text;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Integrations;

/// <summary>
/// Nagios external command lines. Fields are separated by ';' and a command ends at a newline, so free text
/// (author, comment) has those replaced by spaces and names containing them are refused: a crafted comment must not
/// become a second command.
/// </summary>
public static class NagiosCommands
{
    /// <summary>Host downtime, then downtime for every service on that host; fixed, starting now.</summary>
    public static IReadOnlyList<string> ScheduleDowntime(string hostName, DateTimeOffset now, TimeSpan duration, string author, string comment)
    {
        CheckName(hostName);
        if (duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "a downtime needs a positive duration");
        }

        var start = now.ToUnixTimeSeconds();
        var seconds = (long)Math.Ceiling(duration.TotalSeconds);
        var tail = string.Join(';', hostName, Num(start), Num(start + seconds), "1", "0", Num(seconds), Text(author), Text(comment));
        return
        [
            Line(now, "SCHEDULE_HOST_DOWNTIME;" + tail),
            Line(now, "SCHEDULE_HOST_SVC_DOWNTIME;" + tail),
        ];
    }

    /// <summary>Deletes the host's downtime and its services' downtimes (Nagios 4's DEL_DOWNTIME_BY_HOST_NAME covers both).</summary>
    public static IReadOnlyList<string> EndDowntime(string hostName, DateTimeOffset now)
    {
        CheckName(hostName);
        return [Line(now, "DEL_DOWNTIME_BY_HOST_NAME;" + hostName)];
    }

    /// <summary>
    /// Deletes exactly these downtimes (DEL_HOST_DOWNTIME / DEL_SVC_DOWNTIME by id), so a downtime a person set on the
    /// same host stays.
    /// </summary>
    public static IReadOnlyList<string> DeleteDowntimes(IEnumerable<NagiosDowntimeId> ids, DateTimeOffset now) =>
        [.. ids.Select(d => Line(now, d.Type switch
        {
            "host" => "DEL_HOST_DOWNTIME;",
            "service" => "DEL_SVC_DOWNTIME;",
            _ => throw new ArgumentException($"'{d.Type}' is not a downtime type (host or service)", nameof(ids)),
        } + Num(d.Id)))];

    /// <summary>Free text made safe for one field: ';' and control characters become spaces; never empty.</summary>
    public static string Text(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return "wrangler";
        }

        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            sb.Append(c == ';' || char.IsControl(c) ? ' ' : c);
        }

        return sb.ToString().Trim();
    }

    /// <summary>The Nagios host name for a master from the <see cref="NagiosOptions.HostName"/> template.</summary>
    public static string HostNameFor(MasterInfo master, string template)
    {
        ArgumentNullException.ThrowIfNull(master);
        var name = (string.IsNullOrWhiteSpace(template) ? "{hostname}" : template)
            .Replace("{hostname}", master.Hostname, StringComparison.Ordinal)
            .Replace("{name}", master.Name, StringComparison.Ordinal);
        CheckName(name);
        return name;
    }

    private static void CheckName(string hostName)
    {
        if (string.IsNullOrWhiteSpace(hostName) || hostName.Any(c => c == ';' || char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw new ArgumentException($"'{hostName}' cannot be a Nagios host name in an external command (empty, or contains ';', whitespace or a control character)", nameof(hostName));
        }
    }

    private static string Line(DateTimeOffset now, string command) => $"[{Num(now.ToUnixTimeSeconds())}] {command}";

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);
}
