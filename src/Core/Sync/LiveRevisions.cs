using Wrangler.Core.Fleet;

namespace Wrangler.Core.Sync;

/// <summary>Whether a revision is live on every enabled master that carries its repo, and which masters are behind.</summary>
public sealed record LiveAnswer(bool Live, IReadOnlyList<string> Behind, string Revision, int Masters);

/// <summary>
/// "Is revision X (or a descendant) live everywhere?" — what a release runner waits on. A master counts when its
/// checkout's revision, from the last poll, is X or a descendant of X in the upstream; unknown revisions are behind.
/// </summary>
public sealed class LiveRevisions(IFleetMonitor fleet, UpstreamMirror mirror)
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
        var behind = new List<string>();
        foreach (var m in masters)
        {
            var at = m.Repos.FirstOrDefault(r => r.Name == repo)?.Revision?.TrimEnd('+');
            if (at is null || await mirror.ContainsAsync(repo, at, node, ct) != true)
            {
                behind.Add(m.Name);
            }
        }

        return new LiveAnswer(behind.Count == 0, behind, node, masters.Count);
    }

    private static string Clip(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
