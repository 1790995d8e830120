using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;

namespace Wrangler.Core.Fleet;

/// <summary>
/// Production tips read from each repo's upstream with the local Mercurial client (<c>hg id -i -r BRANCH UPSTREAM</c>),
/// argv only. An upstream that cannot be read leaves its tips unknown (sync state "unknown"), never "in sync".
/// A local upstream is asked again only when its store has changed: every poll used to start a Python process per
/// repo, which on a 2 s poll was a fifth of a core per Wrangler.
/// </summary>
public sealed class UpstreamTips(IConfiguration configuration, ILogger<UpstreamTips> logger) : IRepoTips
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    // Everything `hg id -r NAME` can depend on in a local repository: the changelog (commits, branches, closed
    // heads, .hgtags), obsolescence markers and phases (hidden changesets), bookmarks and local tags.
    private static readonly string[] Stamped =
        ["store/00changelog.i", "store/00changelog.d", "store/obsstore", "store/phaseroots", "bookmarks", "localtags"];

    private readonly ConcurrentDictionary<(string Upstream, string Branch), (string Stamp, string Tip)> known = new();
    private int hgRuns;

    /// <summary>How many times hg has been started, for tests of the cache.</summary>
    internal int HgRuns => Volatile.Read(ref hgRuns);

    public async Task<IReadOnlyDictionary<(string Repo, string Branch), string>> GetTipsAsync(
        IReadOnlyCollection<(string Repo, string Branch)> wanted, CancellationToken ct)
    {
        var lookups = wanted.Distinct()
            .Select(w => (w, upstream: configuration[$"Wrangler:Repos:{w.Repo}:Upstream"]))
            .Where(x => !string.IsNullOrWhiteSpace(x.upstream))
            .Select(async x => (x.w, tip: await ReadTipAsync(x.upstream!, x.w.Branch, ct).ConfigureAwait(false)));
        var found = await Task.WhenAll(lookups).ConfigureAwait(false);
        return found.Where(f => f.tip is not null).ToDictionary(f => f.w, f => f.tip!);
    }

    private async Task<string?> ReadTipAsync(string upstream, string branch, CancellationToken ct)
    {
        // A branch that looks like an option would be read by hg as one; inventory validation forbids it too.
        if (branch.StartsWith('-'))
        {
            return null;
        }

        // Stamped before hg runs: a commit that lands while it runs changes the stamp, so the next read asks again.
        var stamp = Stamp(upstream);
        if (stamp is not null && known.TryGetValue((upstream, branch), out var k) && k.Stamp == stamp)
        {
            return k.Tip;
        }

        var tip = await RunHgAsync(upstream, branch, ct).ConfigureAwait(false);
        if (stamp is not null && tip is not null)
        {
            known[(upstream, branch)] = (stamp, tip);
        }

        return tip;
    }

    /// <summary>Sizes and modification times of what the answer depends on; null for a remote upstream (always asked).</summary>
    private static string? Stamp(string upstream)
    {
        if (!Path.IsPathFullyQualified(upstream) || !Directory.Exists(Path.Combine(upstream, ".hg", "store")))
        {
            return null;
        }

        var sb = new StringBuilder();
        foreach (var f in Stamped)
        {
            var info = new FileInfo(Path.Combine(upstream, ".hg", f));
            sb.Append(info.Exists ? $"{info.Length}@{info.LastWriteTimeUtc.Ticks};" : "-;");
        }

        return sb.ToString();
    }

    private async Task<string?> RunHgAsync(string upstream, string branch, CancellationToken ct)
    {
        Interlocked.Increment(ref hgRuns);

        var psi = new ProcessStartInfo("hg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--noninteractive", "id", "-i", "-r", branch, "--", upstream })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HGPLAIN"] = "1";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        using var process = new Process { StartInfo = psi };
        var started = false;
        try
        {
            started = process.Start();
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            var tip = (await stdout.ConfigureAwait(false)).Trim();
            if (process.ExitCode != 0 || tip.Length == 0)
            {
                logger.LogWarning("Cannot read the tip of {Branch} in {Upstream}: {Error}", branch, upstream, (await stderr.ConfigureAwait(false)).Trim());
                return null;
            }

            return tip.TrimEnd('+');
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Reading the tip of {Branch} in {Upstream} timed out after {Timeout}", branch, upstream, Timeout);
            return null;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            logger.LogWarning("Cannot run hg to read upstream tips ({Error}); apt-get install mercurial", ex.Message);
            return null;
        }
        finally
        {
            if (started && !process.HasExited)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
    }
}
