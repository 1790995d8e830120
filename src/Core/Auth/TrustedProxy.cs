using System.Collections.Concurrent;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Auth;

/// <summary>What a trusted proxy said about a request: the user, their groups, and the role those map to (null: none does).</summary>
public sealed record ProxyIdentity(string User, IReadOnlyList<string> Groups, Role? Role);

/// <summary>
/// Which senders may speak for a user (the SSO proxy), and what role a user's groups give them.
/// Only the connection's own peer address counts: X-Forwarded-For is what the proxy says, not who is talking to us.
/// </summary>
public sealed class TrustedProxy
{
    public const int MaxUserLength = 100;

    private readonly IReadOnlyList<System.Net.IPNetwork> networks;
    private readonly Dictionary<string, Role> groupRoles;

    public TrustedProxy(IOptions<AuthOptions> options)
    {
        var o = options.Value.TrustedProxy;
        Enabled = o.Enabled;
        UserHeader = o.UserHeader;
        GroupsHeader = o.GroupsHeader;
        networks = [.. o.Proxies.Select(p => TryParseNetwork(p, out var n) ? n : throw new ArgumentException($"'{p}' is not an address or CIDR network"))];
        groupRoles = new Dictionary<string, Role>(StringComparer.OrdinalIgnoreCase);
        foreach (var (group, role) in o.GroupRoles)
        {
            groupRoles[group] = Roles.TryParse(role, out var r) && r.IsPersonRole() ? r : throw new ArgumentException($"group '{group}' maps to '{role}', which is not viewer, operator or admin");
        }
    }

    public bool Enabled { get; }
    public string UserHeader { get; }
    public string GroupsHeader { get; }

    /// <summary>The configured proxies, for ASP.NET Core's forwarded-headers middleware.</summary>
    public IReadOnlyList<System.Net.IPNetwork> Networks => networks;

    public bool IsTrusted(IPAddress? peer)
    {
        if (peer is null)
        {
            return false;
        }

        var a = peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer;
        return networks.Any(n => n.Contains(a));
    }

    /// <summary>The identity in the proxy's headers, or null when the user header is absent or not a plausible name.</summary>
    public ProxyIdentity? Read(string? user, IEnumerable<string?> groupHeaderValues)
    {
        user = user?.Trim();
        // Control and format characters (U+202E) would let a header name impersonate someone in the audit log.
        if (string.IsNullOrEmpty(user) || user.Length > MaxUserLength || user.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format))
        {
            return null;
        }

        var groups = groupHeaderValues
            .SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        Role? role = null;
        foreach (var g in groups)
        {
            if (groupRoles.TryGetValue(g, out var r) && (role is null || r > role))
            {
                role = r;
            }
        }

        return new ProxyIdentity(user, groups, role);
    }

    /// <summary>"10.0.0.5", "10.0.0.0/8", "::1", "fd00::/8".</summary>
    public static bool TryParseNetwork(string? text, out System.Net.IPNetwork network)
    {
        network = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (!text.Contains('/'))
        {
            if (!IPAddress.TryParse(text, out var a))
            {
                return false;
            }

            network = new System.Net.IPNetwork(a, a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        // .NET 10 accepts "10.0.0.1/8" and drops the host bits; a typo like that must not silently trust 10.0.0.0/8.
        return System.Net.IPNetwork.TryParse(text, out network) && network.BaseAddress.Equals(IPAddress.Parse(text[..text.IndexOf('/')]));
    }
}

/// <summary>
/// Audits proxy sign-ins without an audit row per request: the first request of a user (again after a quiet spell as
/// long as a session, or when their role changes), refusals once per user per spell, and headers from a sender that is
/// not a trusted proxy once per address per spell (with a log warning: someone may be trying to impersonate).
/// </summary>
public sealed class ProxySignInLog(IDbContextFactory<WranglerDb> dbs, IOptions<AuthOptions> options, TimeProvider time, ILogger<ProxySignInLog> logger)
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, (DateTimeOffset Seen, string State)> seen = new(StringComparer.Ordinal);

    public Task SignedInAsync(ProxyIdentity id, string? client, string? proxy, CancellationToken ct) =>
        id.Role is { } role
            ? OnceAsync($"user|{id.User}", role.Name(), id.User, "auth.signin.proxy", $"from {client ?? "unknown address"} via proxy {proxy}", $"{role.Name()}; groups: {Groups(id)}", ct)
            : OnceAsync($"user|{id.User}", "refused", id.User, "auth.signin.proxy.refused", $"from {client ?? "unknown address"} via proxy {proxy}", $"no group maps to a role; groups: {Groups(id)}", ct);

    public async Task IgnoredAsync(string header, string? user, string? sender, CancellationToken ct)
    {
        if (await OnceAsync($"ignored|{sender}", "ignored", Bound(user ?? "?"), "auth.proxy.ignored", $"from {sender ?? "unknown address"}",
                $"{header} sent by an address that is not in Wrangler:Auth:TrustedProxy:Proxies; ignored", ct))
        {
            logger.LogWarning("Proxy sign-in header {Header} from {Sender}, which is not a trusted proxy: ignored (audited once per address)", header, sender);
        }
    }

    private async Task<bool> OnceAsync(string key, string state, string actor, string kind, string subject, string detail, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var quiet = options.Value.SessionLifetime;
        var fresh = true;
        seen.AddOrUpdate(key, _ => (now, state), (_, e) =>
        {
            fresh = e.State != state || now - e.Seen > quiet;
            return (now, state);
        });
        if (!fresh)
        {
            return false;
        }

        if (seen.Count > MaxEntries)
        {
            foreach (var (k, e) in seen)
            {
                if (now - e.Seen > quiet)
                {
                    seen.TryRemove(k, out _);
                }
            }
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        db.AuditEvents.Add(new AuditEvent { At = now, Actor = Bound(actor), Kind = kind, Subject = subject, Detail = detail });
        await db.SaveChangesAsync(ct);
        return true;
    }

    private static string Groups(ProxyIdentity id) => id.Groups.Count == 0 ? "(none)" : Bound(string.Join(", ", id.Groups));

    private static string Bound(string s) => s.Length > 200 ? s[..200] : s;
}
