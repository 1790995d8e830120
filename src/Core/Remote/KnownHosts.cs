using System.Security.Cryptography;
using System.Text;

namespace Wrangler.Core.Remote;

public enum KnownHostMarker
{
    None,
    Revoked,
    CertAuthority,
}

/// <summary>One line of a known_hosts file: host patterns (plain, or one hashed <c>|1|salt|hash</c>), key type and key blob.</summary>
public sealed record KnownHostEntry(int Line, KnownHostMarker Marker, string Hosts, string KeyType, byte[] Key);

/// <summary>The outcome of checking an offered host key. <see cref="Message"/> is for a person when it is refused.</summary>
public sealed record HostKeyVerdict(bool Trusted, string Message);

/// <summary>
/// A known_hosts file read the way OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), for the in-process
/// transport, which has no checking of its own. Strict: a host with no matching line is refused, never learned.
/// </summary>
public sealed class KnownHosts
{
    private readonly IReadOnlyList<KnownHostEntry> entries;

    private KnownHosts(string source, IReadOnlyList<KnownHostEntry> entries)
    {
        Source = source;
        this.entries = entries;
    }

    public string Source { get; }

    public IReadOnlyList<KnownHostEntry> Entries => entries;

    public static KnownHosts Load(string path) => Parse(File.Exists(path) ? File.ReadAllText(path) : "", path);

    public static KnownHosts Parse(string text, string source = "known_hosts")
    {
        var list = new List<KnownHostEntry>();
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var marker = KnownHostMarker.None;
            var at = 0;
            if (fields[0].StartsWith('@'))
            {
                marker = fields[0] switch
                {
                    "@revoked" => KnownHostMarker.Revoked,
                    "@cert-authority" => KnownHostMarker.CertAuthority,
                    _ => KnownHostMarker.None,
                };
                if (marker == KnownHostMarker.None)
                {
                    continue; // OpenSSH skips an unknown marker line too; it trusts nothing by it.
                }

                at = 1;
            }

            if (fields.Length < at + 3)
            {
                continue;
            }

            byte[] key;
            try
            {
                key = Convert.FromBase64String(fields[at + 2]);
            }
            catch (FormatException)
            {
                continue; // A malformed key trusts nothing, as in OpenSSH.
            }

            list.Add(new KnownHostEntry(lineNo, marker, fields[at], fields[at + 1], key));
        }

        return new KnownHosts(source, list);
    }

    /// <summary>The name OpenSSH looks up: <c>host</c> on port 22, else <c>[host]:port</c>.</summary>
    public static string LookupName(string host, int port) =>
        port == 22 ? host.ToLowerInvariant() : $"[{host.ToLowerInvariant()}]:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>OpenSSH's fingerprint: SHA256 of the key blob, unpadded base64.</summary>
    public static string Fingerprint(byte[] keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>Key types of the plain lines for this host, so the client can ask for a key it can check (as OpenSSH orders them).</summary>
    public IReadOnlySet<string> KeyTypesFor(string host, int port)
    {
        var name = LookupName(host, port);
        return entries.Where(e => e.Marker == KnownHostMarker.None && Matches(e.Hosts, name)).Select(e => e.KeyType).ToHashSet(StringComparer.Ordinal);
    }

    public HostKeyVerdict Check(string host, int port, string keyType, byte[] offered)
    {
        var name = LookupName(host, port);
        var fingerprint = Fingerprint(offered);
        var offeredText = $"{keyType} key {fingerprint}";
        var matching = entries.Where(e => Matches(e.Hosts, name)).ToList();

        // A revoked key is refused even if another line trusts it.
        if (entries.FirstOrDefault(e => e.Marker == KnownHostMarker.Revoked && e.Key.AsSpan().SequenceEqual(offered)) is { } revoked)
        {
            return new(false, $"host key for {host} port {port} is REVOKED ({Source} line {revoked.Line}): it offered {offeredText}");
        }

        if (matching.FirstOrDefault(e => e.Marker == KnownHostMarker.CertAuthority) is { } ca)
        {
            return new(false,
                $"host {host} port {port} is covered by a @cert-authority line ({Source} line {ca.Line}); host certificates are not supported by the in-process SSH client (set Wrangler:Ssh:Client=openssh); it offered {offeredText}");
        }

        var plain = matching.Where(e => e.Marker == KnownHostMarker.None).ToList();
        if (plain.Any(e => e.Key.AsSpan().SequenceEqual(offered)))
        {
            return new(true, $"{offeredText} matches {Source}");
        }

        if (plain.Count == 0)
        {
            return new(false, $"no host key is known for {host} port {port} in {Source} and strict checking is on: it offered {offeredText}");
        }

        var known = string.Join(", ", plain.Select(e => $"{e.KeyType} {Fingerprint(e.Key)} (line {e.Line})"));
        return new(false,
            $"REMOTE HOST IDENTIFICATION HAS CHANGED for {host} port {port}: it offered {offeredText}, {Source} has {known} (possible impersonation, or the host was rebuilt)");
    }

    /// <summary>A host field: one hashed name, or comma-separated patterns with <c>*</c>, <c>?</c> and <c>!</c> negation.</summary>
    internal static bool Matches(string hosts, string name)
    {
        if (hosts.StartsWith("|1|", StringComparison.Ordinal))
        {
            return HashedMatches(hosts, name);
        }

        var matched = false;
        foreach (var pattern in hosts.Split(','))
        {
            if (pattern.StartsWith('!'))
            {
                if (Glob(pattern[1..].ToLowerInvariant(), name))
                {
                    return false; // A negated match wins over any positive one.
                }
            }
            else if (Glob(pattern.ToLowerInvariant(), name))
            {
                matched = true;
            }
        }

        return matched;
    }

    private static bool HashedMatches(string hosts, string name)
    {
        var parts = hosts.Split('|');
        if (parts.Length != 4)
        {
            return false;
        }

        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var hash = Convert.FromBase64String(parts[3]);
            return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name)), hash);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
