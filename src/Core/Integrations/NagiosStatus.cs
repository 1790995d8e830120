using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Integrations;

/// <summary>One downtime as Nagios lists it in status.dat; <see cref="Type"/> is "host" or "service".</summary>
public sealed record NagiosDowntimeEntry(string Type, string HostName, string? ServiceDescription, long Id, string Author, string Comment);

/// <summary>A downtime Wrangler scheduled, by id: what <c>DEL_HOST_DOWNTIME</c> / <c>DEL_SVC_DOWNTIME</c> need.</summary>
public sealed record NagiosDowntimeId(string Type, long Id);

/// <summary>
/// What a campaign keeps (in its ledger entry) to end exactly its own downtime: the unique comment it was scheduled
/// with, and the ids Nagios gave it, read back from status.dat. No ids means "not found in time": ending falls back.
/// </summary>
public sealed record DowntimeHandle(string Comment, IReadOnlyList<NagiosDowntimeId> Ids, string Detail)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Serialize() => JsonSerializer.Serialize(new Stored(Comment, [.. Ids]), Json);

    /// <summary>Null for text that is not a handle (ledger entries written before downtimes were kept by id).</summary>
    public static DowntimeHandle? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || !text.TrimStart().StartsWith('{'))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Stored>(text, Json) is { Comment: not null } s ? new DowntimeHandle(s.Comment, s.Ids ?? [], "") : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Stored([property: JsonPropertyName("comment")] string Comment, [property: JsonPropertyName("ids")] NagiosDowntimeId[]? Ids);
}

/// <summary>Reads the downtime blocks of Nagios' status.dat (<c>status_file</c> in nagios.cfg).</summary>
public interface INagiosStatusSource
{
    Task<IReadOnlyList<NagiosDowntimeEntry>> ReadDowntimesAsync(CancellationToken ct);

    string Describe();
}

public static class NagiosStatus
{
    /// <summary>The hostdowntime and servicedowntime blocks of a status.dat; everything else is ignored.</summary>
    public static IReadOnlyList<NagiosDowntimeEntry> ParseDowntimes(string statusDat)
    {
        var result = new List<NagiosDowntimeEntry>();
        Dictionary<string, string>? block = null;
        string? type = null;
        foreach (var raw in statusDat.Split('\n'))
        {
            var line = raw.Trim();
            if (line is "hostdowntime {" or "servicedowntime {")
            {
                type = line.StartsWith("host", StringComparison.Ordinal) ? "host" : "service";
                block = new Dictionary<string, string>(StringComparer.Ordinal);
            }
            else if (block is not null && line == "}")
            {
                string Get(string k) => block.TryGetValue(k, out var v) ? v : "";
                if (long.TryParse(Get("downtime_id"), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    result.Add(new NagiosDowntimeEntry(type!, Get("host_name"), block.GetValueOrDefault("service_description"), id, Get("author"), Get("comment")));
                }

                block = null;
            }
            else if (block is not null && line.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                block[line[..eq]] = line[(eq + 1)..];
            }
        }

        return result;
    }
}

/// <summary>status.dat on this machine. Nagios replaces it by rename, so each read sees one whole version.</summary>
public sealed class LocalNagiosStatusFile(string path) : INagiosStatusSource
{
    public string Describe() => path;

    public async Task<IReadOnlyList<NagiosDowntimeEntry>> ReadDowntimesAsync(CancellationToken ct)
    {
        try
        {
            await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);
            using var reader = new StreamReader(fs);
            return NagiosStatus.ParseDowntimes(await reader.ReadToEndAsync(ct).ConfigureAwait(false));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            throw new IntegrationException("nagios", $"cannot read the Nagios status file {path}: {e.Message}", inner: e);
        }
    }
}

/// <summary>status.dat on the Nagios host, over ssh; only the downtime blocks travel (the file can be megabytes).</summary>
public sealed class SshNagiosStatusFile(ISshRunner ssh, SshTarget target, string path, TimeSpan timeout) : INagiosStatusSource
{
    internal const string Script = """
        f=$1
        if [ ! -r "$f" ]; then echo "$f cannot be read" >&2; exit 3; fi
        awk '/^[ \t]*(host|service)downtime \{/ { p = 1 } p { print } p && /^[ \t]*\}[ \t]*$/ { p = 0 }' "$f"
        """;

    public string Describe() => $"{path} on {target}";

    public async Task<IReadOnlyList<NagiosDowntimeEntry>> ReadDowntimesAsync(CancellationToken ct)
    {
        RemoteResult r;
        try
        {
            r = await ssh.RunAsync(target, ["sh", "-c", Script, "sh", path], timeout, ct: ct).ConfigureAwait(false);
        }
        catch (SshException e)
        {
            throw new IntegrationException("nagios", $"cannot read the Nagios status file {path} on {target}: {e.Message}", inner: e);
        }

        if (!r.Succeeded)
        {
            throw new IntegrationException("nagios", $"cannot read the Nagios status file {path} on {target}: exit {r.ExitCode}: {r.Stderr.Trim()}");
        }

        return NagiosStatus.ParseDowntimes(r.Stdout);
    }
}
