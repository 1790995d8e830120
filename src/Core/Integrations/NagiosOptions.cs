namespace Wrangler.Core.Integrations;

/// <summary><c>Wrangler:Nagios</c>.</summary>
public sealed class NagiosOptions
{
    public const string SectionName = "Wrangler:Nagios";

    /// <summary>The external command file (<c>command_file</c> in nagios.cfg, a FIFO). Unset: no downtimes.</summary>
    public string? CommandFile { get; set; }

    /// <summary>
    /// <c>[user@]host[:port]</c> of the Nagios server when it is not this machine; the command file is then written
    /// there over ssh with the <c>Wrangler:Ssh</c> settings.
    /// </summary>
    public string? SshHost { get; set; }

    /// <summary>
    /// The Nagios host name of a master, from the inventory: <c>{hostname}</c> (default) and <c>{name}</c> are
    /// replaced, e.g. "{name}" when Nagios names hosts after masters, or "{hostname}.mgmt" for a suffix.
    /// </summary>
    public string HostName { get; set; } = "{hostname}";

    /// <summary>
    /// Nagios' status.dat (<c>status_file</c> in nagios.cfg), read locally or on <see cref="SshHost"/>: a scheduled
    /// downtime's id is read back from it, so ending deletes exactly that downtime. Unset: downtimes are ended by host
    /// name (DEL_DOWNTIME_BY_HOST_NAME), which also ends downtimes a person set on that host.
    /// </summary>
    public string? StatusFile { get; set; }

    /// <summary>How long to wait for a new downtime to show in status.dat (Nagios rewrites it every status_update_interval, 10 s by default).</summary>
    public TimeSpan StatusTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a write may wait for Nagios to take the commands (a FIFO nobody reads blocks writers).</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
