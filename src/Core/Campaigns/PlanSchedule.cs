namespace Wrangler.Core.Campaigns;

/// <summary>When a planned master is expected to be out of service, counted from approval, and the share of its bucket it takes.</summary>
public sealed record PlannedWindow(string Master, string Bucket, int Wave, TimeSpan Start, TimeSpan End, double CapacityShare);

/// <summary>
/// The plan laid out on a clock, for the new-campaign page's capacity picture. Waves run one after the other and a wave
/// lasts as long as its slowest master, as <see cref="CampaignPlanner"/> estimates the whole campaign.
/// </summary>
public static class PlanSchedule
{
    public static IReadOnlyList<PlannedWindow> Windows(CampaignPlan plan)
    {
        var result = new List<PlannedWindow>();
        var start = TimeSpan.Zero;
        foreach (var wave in plan.Masters.GroupBy(m => m.Wave).OrderBy(g => g.Key))
        {
            foreach (var m in wave)
            {
                result.Add(new PlannedWindow(m.Name, m.Bucket, m.Wave, start, start + m.EstimatedDuration, m.CapacityShare));
            }
            start += wave.Max(m => m.EstimatedDuration);
        }
        return result;
    }

    /// <summary>A bucket's capacity lost over time as steps: (from, to, share down) where the share changes.</summary>
    public static IReadOnlyList<(TimeSpan From, TimeSpan To, double Lost)> LostOverTime(IEnumerable<PlannedWindow> bucketWindows)
    {
        var windows = bucketWindows.ToList();
        var edges = windows.SelectMany(w => new[] { w.Start, w.End }).Distinct().Order().ToList();
        var steps = new List<(TimeSpan From, TimeSpan To, double Lost)>();
        for (var i = 0; i + 1 < edges.Count; i++)
        {
            var (from, to) = (edges[i], edges[i + 1]);
            var lost = windows.Where(w => w.Start < to && w.End > from).Sum(w => w.CapacityShare);
            steps.Add((from, to, lost));
        }
        return steps;
    }
}
