namespace Wrangler.Core.Remote;

/// <summary>Where to connect; null fields fall back to <see cref="SshOptions"/> and then to ssh's own defaults.</summary>
public sealed record SshTarget(string Host, int? Port = null, string? User = null, string? IdentityFile = null, string? KnownHostsFile = null)
{
    public override string ToString() => $"{(User is null ? "" : User + "@")}{Host}{(Port is null ? "" : ":" + Port)}";
}
