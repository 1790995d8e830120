namespace Wrangler.Core.Remote;

/// <summary>OpenSSH client settings for every master, bound from <c>Wrangler:Ssh</c>. Inventory <c>ssh_user</c>/<c>ssh_login_port</c> win.</summary>
public sealed class SshOptions
{
    public const string SectionName = "Wrangler:Ssh";

    /// <summary>Path of the OpenSSH client.</summary>
    public string SshPath { get; set; } = "/usr/bin/ssh";

    public string? User { get; set; }

    public int? Port { get; set; }

    public string? IdentityFile { get; set; }

    /// <summary>With StrictHostKeyChecking=yes, the only source of trust; unset means the user's own known_hosts.</summary>
    public string? KnownHostsFile { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Private directory (created 0700) for the multiplexing sockets. Unix socket paths are limited to ~104
    /// bytes, so keep it short; socket names are a 16-hex-digit hash. Default: /tmp/wrangler-ssh-{uid}.
    /// </summary>
    public string? ControlDirectory { get; set; }

    /// <summary>How long an idle master connection stays open; zero turns multiplexing off.</summary>
    public TimeSpan ControlPersist { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Also bound a command's run time on the remote side (coreutils <c>timeout</c>), because killing the local
    /// ssh leaves the remote command running. Turn off only for hosts without coreutils.
    /// </summary>
    public bool RemoteTimeout { get; set; } = true;

    /// <summary>Extra <c>-o</c> options as "Key=Value", e.g. "KexAlgorithms=curve25519-sha256".</summary>
    public IList<string> ExtraOptions { get; set; } = [];
}
