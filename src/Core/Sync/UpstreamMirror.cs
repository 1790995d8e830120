using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wrangler.Core.Sync;

/// <summary>One upstream commit, as the production page shows it.</summary>
public sealed record UpstreamCommit(string Node, string Author, DateTimeOffset? At, string Message);

/// <summary>
/// Local Mercurial mirrors of the upstreams (<c>hg clone -U</c>, pulled when a revision is missing), so ancestry and
/// commit messages are answered locally whatever the upstream is (a path or a URL). Revisions are hex checked by the
/// caller and only ever used inside <c>id(...)</c>, argv only.
/// </summary>
public sealed partial class UpstreamMirror(IConfiguration configuration, IOptions<SyncOptions> options, IOptions<WranglerOptions> wrangler,
    string contentRoot, ILogger<UpstreamMirror> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string, string), bool> ancestry = new();
    private readonly ConcurrentDictionary<(string, string, string), IReadOnlyList<UpstreamCommit>> logs = new();

    /// <summary>A revision as callers may give it: 6 to 40 hex digits.</summary>
    public static bool IsRevision(string? s) => s is not null && Hex().IsMatch(s) && s.Trim('0').Length > 0;

    public string? Upstream(string repo) => configuration[$"Wrangler:Repos:{repo}:Upstream"] is { Length: > 0 } u ? u : null;

    /// <summary>The full node of <paramref name="revision"/> in the repo's upstream, or null when it is not there.</summary>
    public async Task<string?> ResolveAsync(string repo, string revision, CancellationToken ct)
    {
        if (!IsRevision(revision))
        {
            return null;
        }

        var dir = await EnsureAsync(repo, [revision], ct);
        var (ok, output) = await HgAsync(["log", "-R", dir, "-r", $"id({revision})", "-T", "{node}\n"], ct);
        var node = ok ? output.Trim() : "";
        return node.Length == 40 && node.Trim('0').Length > 0 ? node : null;
    }

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="revision"/> or one of its ancestors; null when either is unknown upstream.</summary>
    public async Task<bool?> ContainsAsync(string repo, string revision, string ancestor, CancellationToken ct)
    {
        if (!IsRevision(revision) || !IsRevision(ancestor))
        {
            return null;
        }

        if (ancestry.TryGetValue((repo, revision, ancestor), out var known))
        {
            return known;
        }

        var dir = await EnsureAsync(repo, [revision, ancestor], ct);
        var (ok, both) = await HgAsync(["log", "-R", dir, "-r", $"id({revision}) or id({ancestor})", "-T", "{node}\n"], ct);
        if (!ok || both.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < (revision.StartsWith(ancestor, StringComparison.OrdinalIgnoreCase) || ancestor.StartsWith(revision, StringComparison.OrdinalIgnoreCase) ? 1 : 2))
        {
            return null;
        }

        var (ran, output) = await HgAsync(["log", "-R", dir, "-r", $"id({ancestor}) and ancestors(id({revision}))", "-T", "{node}\n"], ct);
        if (!ran)
        {
            return null;
        }

        // Both exist, so the answer never changes: cache it.
        var contains = output.Trim().Length > 0;
        ancestry[(repo, revision, ancestor)] = contains;
        return contains;
    }

    /// <summary>Commits in <paramref name="after"/> that are not in <paramref name="before"/>, newest first; empty when unknown.</summary>
    public async Task<IReadOnlyList<UpstreamCommit>> LogAsync(string repo, string? before, string after, CancellationToken ct)
    {
        if (!IsRevision(after) || before is not null && !IsRevision(before))
        {
            return [];
        }

        var key = (repo, before ?? "", after);
        if (logs.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var dir = await EnsureAsync(repo, before is null ? [after] : [before, after], ct);
        var revset = before is null ? $"id({after})" : $"only(id({after}), id({before}))";
        var (ok, output) = await HgAsync(["log", "-R", dir, "-r", revset, "-l", "200", "-T", "{node|short}\x1f{author|person}\x1f{date|rfc3339date}\x1f{desc}\x1e"], ct);
        if (!ok)
        {
            return [];
        }

        var commits = output.Split('\x1e', StringSplitOptions.RemoveEmptyEntries)
            .Select(c => c.Split('\x1f'))
            .Where(p => p.Length == 4)
            .Select(p => new UpstreamCommit(p[0].Trim(), p[1], DateTimeOffset.TryParse(p[2], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at) ? at : null, p[3]))
            .ToList();
        if (commits.Count > 0)
        {
            logs[key] = commits;
        }

        return commits;
    }

    /// <summary>The mirror's directory, cloned if missing and pulled if any of <paramref name="needed"/> is not in it yet.</summary>
    private async Task<string> EnsureAsync(string repo, IReadOnlyList<string> needed, CancellationToken ct)
    {
        var upstream = Upstream(repo) ?? throw new SyncRefusedException($"no upstream configured for {repo} (Wrangler:Repos:{repo}:Upstream)", 400);
        if (!SafeName().IsMatch(repo))
        {
            throw new SyncRefusedException($"unusable repo name '{repo}'", 400);
        }

        var dir = Path.Combine(Root(), repo);
        var gate = locks.GetOrAdd(repo, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (!Directory.Exists(Path.Combine(dir, ".hg")))
            {
                Directory.CreateDirectory(Root());
                var (cloned, error) = await HgAsync(["clone", "-U", "--", upstream, dir], ct);
                if (!cloned)
                {
                    throw new SyncRefusedException($"cannot mirror {repo} from its upstream: {error.Trim()}", 503);
                }

                return dir;
            }

            foreach (var rev in needed)
            {
                var (ok, found) = await HgAsync(["log", "-R", dir, "-r", $"id({rev})", "-T", "{node}"], ct);
                if (!ok || found.Trim().Length == 0)
                {
                    var (pulled, error) = await HgAsync(["pull", "-R", dir, "--", upstream], ct);
                    if (!pulled)
                    {
                        logger.LogWarning("Pulling the {Repo} mirror failed: {Error}", repo, error.Trim());
                    }

                    break;
                }
            }

            return dir;
        }
        finally
        {
            gate.Release();
        }
    }

    private string Root()
    {
        if (options.Value.MirrorDir is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured, contentRoot);
        }

        var database = Path.GetFullPath(wrangler.Value.Database, contentRoot);
        return Path.Combine(Path.GetDirectoryName(database) ?? ".", "upstream");
    }

    private async Task<(bool Ok, string Output)> HgAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("hg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--noninteractive");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HGPLAIN"] = "1";
        psi.Environment["HGENCODING"] = "utf-8";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            var output = await stdout;
            return process.ExitCode == 0 ? (true, output) : (false, await stderr);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (false, $"hg {args[0]} timed out after {Timeout}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, "cannot run hg: " + ex.Message);
        }
        finally
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    [GeneratedRegex("^[0-9a-fA-F]{6,40}$")]
    private static partial Regex Hex();

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex SafeName();
}
