using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Sync;

/// <summary>Whether a revision is live on every enabled master that carries its repo, and which masters are behind.</summary>
public sealed record LiveAnswer(bool Live, IReadOnlyList<string> Behind, string Revision, int Masters);

/// <summary>
/// "Is revision X (or a descendant) live everywhere?" — what a release runner waits on. A master counts when its
/// checkout's revision, from the last poll, is X or a descendant of X in the upstream; unknown revisions are behind.
/// A checkout that a reconfig has updated but whose master has not yet completed its reconfig does not count: the
/// master still runs the revision before the update, which the campaign's open ledger entry holds (StepRunner).
/// </summary>
public sealed class LiveRevisions(IFleetMonitor fleet, UpstreamMirror mirror, IDbContextFactory<WranglerDb> dbs)
{
    public async Task<LiveAnswer> CheckAsync(string? repo, string? revision, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(repo) || string.IsNullOrWhiteSpace(revision))
        {
            throw new SyncRefusedException("both repo and revision are required, e.g. ?repo=buildbot-configs&revision=abc123", 400);
        }

        revision = revision.Trim();
        if (!UpstreamMirror.IsRevision(revision))
        {
            throw new SyncRefusedException($"'{Clip(revision)}' is not a revision: give 6 to 40 hex digits", 400);
        }

        var masters = fleet.Current.Masters.Where(m => m.Master.Enabled && m.Master.Repos.Any(r => r.Name == repo)).ToList();
        if (masters.Count == 0)
        {
            throw new SyncRefusedException($"no enabled master carries a repo named '{Clip(repo)}'", 404);
        }

        if (mirror.Upstream(repo) is null)
        {
            throw new SyncRefusedException($"no upstream is configured for {repo} (Wrangler:Repos:{repo}:Upstream), so ancestry cannot be checked", 400);
        }

        var node = await mirror.ResolveAsync(repo, revision, ct) ?? throw new SyncRefusedException($"revision {revision} is not in the upstream of {repo}", 404);
        var running = await RunningBeforeUpdateAsync(repo, ct);
        var behind = new List<string>();
        foreach (var m in masters)
        {
            var at = running.TryGetValue(m.Name, out var old) ? old : m.Repos.FirstOrDefault(r => r.Name == repo)?.Revision?.TrimEnd('+');
            if (at is null || await mirror.ContainsAsync(repo, at, node, ct) != true)
            {
                behind.Add(m.Name);
            }
        }

        return new LiveAnswer(behind.Count == 0, behind, node, masters.Count);
    }

    /// <summary>Masters whose checkout of <paramref name="repo"/> is updated but not yet reconfigured: the revision they still run.</summary>
    private async Task<Dictionary<string, string?>> RunningBeforeUpdateAsync(string repo, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var open = await db.Ledger.AsNoTracking()
            .Where(l => l.Effect == LedgerEffect.ReposUpdated && l.UndoneAt == null)
            .Select(l => new { l.Master, l.Detail }).ToListAsync(ct);
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var e in open)
        {
            result[e.Master] = e.Detail is null ? null : StepRunner.ParseRevisions(e.Detail).GetValueOrDefault(repo);
        }

        return result;
    }

    private static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
