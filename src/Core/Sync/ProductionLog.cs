using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Sync;

/// <summary>One repo's move in one reconfig: from → to, on which masters, and the upstream commits in between.</summary>
public sealed record RepoChange(string Repo, string? Before, string After, ImmutableArray<string> Masters, IReadOnlyList<UpstreamCommit> Commits);

/// <summary>One reconfig campaign as the production page shows it.</summary>
public sealed record ProductionEntry(
    long CampaignId,
    CampaignState State,
    string? StateDetail,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EndedAt,
    bool Automatic,
    string? TargetTips,
    ImmutableArray<RepoChange> Changes,
    ImmutableArray<string> Failed);

/// <summary>A piece of a commit message: plain text, or a bug number with its link.</summary>
public sealed record MessagePart(string Text, string? Url);

/// <summary>
/// The "what's in production" log: a RevisionEvent per master and repo when a reconfig succeeds on that master (read
/// from the finished campaign's update step, so the campaign code needs no hook), and the page's view of it.
/// </summary>
public sealed partial class ProductionLog(IDbContextFactory<WranglerDb> dbs, UpstreamMirror mirror, IOptions<SyncOptions> options, TimeProvider time)
{
    /// <summary>Records what every reconfigured master moved from and to, once per campaign and master.</summary>
    public async Task RecordAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var since = time.GetUtcNow().AddDays(-2);
        var done = await db.CampaignMasters.AsNoTracking()
            .Where(m => m.State == MasterRunState.Succeeded && m.EndedAt != null && m.EndedAt > since)
            .Join(db.Campaigns.Where(c => c.Kind == CampaignKind.Reconfig), m => m.CampaignId, c => c.Id, (m, c) => m)
            .Where(m => !db.RevisionEvents.Any(e => e.CampaignId == m.CampaignId && e.Master == m.Master))
            .Include(m => m.Steps)
            .ToListAsync(ct);
        foreach (var m in done)
        {
            var update = m.Steps.FirstOrDefault(s => s.Kind == StepKind.UpdateRepos && s.State == StepState.Succeeded);
            foreach (var (repo, from, to) in ParseUpdate(update?.Detail))
            {
                db.RevisionEvents.Add(new RevisionEventRecord { CampaignId = m.CampaignId, Master = m.Master, Repo = repo, Before = from, After = to, At = m.EndedAt!.Value });
            }
        }

        await db.SaveChangesAsync(ct);
    }

    /// <summary>The newest reconfig campaigns with their changes and commit messages.</summary>
    public async Task<IReadOnlyList<ProductionEntry>> ListAsync(int take, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var list = await db.Campaigns.AsNoTracking().Include(c => c.Masters)
            .Where(c => c.Kind == CampaignKind.Reconfig)
            .OrderByDescending(c => c.Id).Take(take).ToListAsync(ct);
        var ids = list.Select(c => c.Id).ToList();
        var events = await db.RevisionEvents.AsNoTracking().Where(e => ids.Contains(e.CampaignId)).ToListAsync(ct);
        var autos = await db.AutoReconfigs.AsNoTracking().Where(a => ids.Contains(a.CampaignId)).ToDictionaryAsync(a => a.CampaignId, ct);
        var result = new List<ProductionEntry>();
        foreach (var c in list)
        {
            var changes = new List<RepoChange>();
            foreach (var g in events.Where(e => e.CampaignId == c.Id && e.Before != e.After).GroupBy(e => (e.Repo, e.Before, e.After)).OrderBy(g => g.Key.Repo, StringComparer.Ordinal))
            {
                IReadOnlyList<UpstreamCommit> commits = [];
                if (mirror.Upstream(g.Key.Repo) is not null)
                {
                    try
                    {
                        commits = await mirror.LogAsync(g.Key.Repo, g.Key.Before, g.Key.After, ct);
                    }
                    catch (SyncRefusedException)
                    {
                        // The mirror cannot be made right now: the page shows the revisions without messages.
                    }
                }

                changes.Add(new RepoChange(g.Key.Repo, g.Key.Before, g.Key.After, [.. g.Select(e => e.Master).Order(StringComparer.Ordinal)], commits));
            }

            result.Add(new ProductionEntry(c.Id, c.State, c.StateDetail, c.CreatedBy, c.CreatedAt, c.EndedAt, autos.ContainsKey(c.Id),
                autos.TryGetValue(c.Id, out var a) ? a.Tips : null, [.. changes],
                [.. c.Masters.Where(m => m.State == MasterRunState.Failed || m.State == MasterRunState.Aborted && m.Detail != null && m.Detail.Contains("failed"))
                    .Select(m => $"{m.Master}: {m.Detail}")]));
        }

        return result;
    }

    /// <summary>"buildbot-configs 1a2b3c → 4d5e6f; tools … → …" as the update step writes it.</summary>
    public static IEnumerable<(string Repo, string? Before, string After)> ParseUpdate(string? detail)
    {
        if (detail is null)
        {
            yield break;
        }

        foreach (Match m in UpdateLine().Matches(detail))
        {
            var before = m.Groups[2].Value;
            yield return (m.Groups[1].Value, before == "?" ? null : before, m.Groups[3].Value);
        }
    }

    /// <summary>Splits a commit message into text and bug links (<c>Bug 123</c>, any case) through <see cref="SyncOptions.BugUrl"/>.</summary>
    public IReadOnlyList<MessagePart> Parts(string message) => LinkBugs(message, options.Value.BugUrl);

    public static IReadOnlyList<MessagePart> LinkBugs(string message, string? template)
    {
        if (string.IsNullOrWhiteSpace(template) || !template.Contains("{id}", StringComparison.Ordinal))
        {
            return [new MessagePart(message, null)];
        }

        var parts = new List<MessagePart>();
        var at = 0;
        foreach (Match m in Bug().Matches(message))
        {
            if (m.Index > at)
            {
                parts.Add(new MessagePart(message[at..m.Index], null));
            }

            parts.Add(new MessagePart(m.Value, template.Replace("{id}", m.Groups[1].Value, StringComparison.Ordinal)));
            at = m.Index + m.Length;
        }

        if (at < message.Length)
        {
            parts.Add(new MessagePart(message[at..], null));
        }

        return parts;
    }

    [GeneratedRegex(@"(?<![\w-])([A-Za-z0-9._-]+) ([0-9a-fA-F]{6,40}|\?) → ([0-9a-fA-F]{6,40})")]
    private static partial Regex UpdateLine();

    [GeneratedRegex(@"\b[Bb]ug[ #]*(\d{1,9})\b")]
    private static partial Regex Bug();
}
