namespace Wrangler.Core.Remote;

/// <summary>Which SSH transport runs commands (<c>Wrangler:Ssh:Client</c>); nothing outside Remote/ knows.</summary>
public enum SshClientKind
{
    /// <summary>SSH.NET in-process: one session per host, a channel per command (docs/remote.md).</summary>
    SshNet,

    /// <summary>The OpenSSH client as a child process with ControlMaster multiplexing: for ProxyJump, agents, Kerberos, certificates.</summary>
    OpenSsh,
}

/// <summary>SSH settings for every master, bound from <c>Wrangler:Ssh</c>. Inventory <c>ssh_user</c>/<c>ssh_login_port</c> win.</summary>
public sealed class SshOptions
{
    public const string SectionName = "Wrangler:Ssh";

    /// <summary><c>sshnet</c> (default) or <c>openssh</c>.</summary>
    public SshClientKind Client { get; set; } = SshClientKind.SshNet;

    /// <summary>
    /// Passphrase of <see cref="IdentityFile"/>, for the in-process client only (configuration or environment, never a
    /// command line). The OpenSSH client runs in batch mode and cannot prompt: give it an agent instead.
    /// </summary>
    public string? IdentityPassphrase { get; set; }

    /// <summary>In-process client: how often an idle session sends a keepalive; a session that stops answering is torn down.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Path of the OpenSSH client (<see cref="SshClientKind.OpenSsh"/> only).</summary>
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
