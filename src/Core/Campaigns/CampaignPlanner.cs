using System.Collections.Immutable;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Campaigns;

// Temporary stand-in until the planner branch lands.
public static class CampaignPlanner
{
    public static IReadOnlyList<string> Validate(CampaignRequest request) => [];

    public static CampaignPlan Plan(CampaignRequest request, IReadOnlyList<MasterState> fleet, IReadOnlyDictionary<(string Master, CampaignKind Kind), TimeSpan> pastDurations)
    {
        var s = request.Selector;
        var chosen = fleet.Where(m => m.Master.Enabled && (s.Names.Contains(m.Name) || s.Buckets.Contains(m.Master.Bucket))).ToList();
        var waves = chosen.GroupBy(m => m.Master.Bucket).SelectMany(g => g.Select((m, i) => (i, m.Name))).GroupBy(x => x.i).OrderBy(g => g.Key)
            .Select(g => g.Select(x => x.Name).ToImmutableArray()).ToImmutableArray();
        return new CampaignPlan(request, waves, [], [], [], TimeSpan.Zero);
    }
}
