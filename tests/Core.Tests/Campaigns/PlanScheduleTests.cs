using System.Collections.Immutable;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Tests.Campaigns;

public sealed class PlanScheduleTests
{
    private static PlannedMaster M(string name, string bucket, int wave, double share, int minutes) =>
        new(name, bucket, MasterRole.Tests, wave, share, TimeSpan.FromMinutes(minutes), false, true, 0);

    private static CampaignPlan Plan(params PlannedMaster[] masters) =>
        new(new CampaignRequest(CampaignKind.GracefulRestart, new Selector(), new CampaignPolicy()), [], [], [], [], TimeSpan.Zero) { Masters = [.. masters] };

    [Fact]
    public void A_wave_starts_when_the_slowest_master_of_the_one_before_is_expected_done()
    {
        var windows = PlanSchedule.Windows(Plan(M("a1", "a", 0, .5, 30), M("b1", "b", 0, .25, 50), M("a2", "a", 1, .5, 20)));

        Assert.Equal(
            [
                new PlannedWindow("a1", "a", 0, TimeSpan.Zero, TimeSpan.FromMinutes(30), .5),
                new PlannedWindow("b1", "b", 0, TimeSpan.Zero, TimeSpan.FromMinutes(50), .25),
                new PlannedWindow("a2", "a", 1, TimeSpan.FromMinutes(50), TimeSpan.FromMinutes(70), .5),
            ],
            windows);
    }

    [Fact]
    public void Capacity_lost_adds_up_the_masters_of_a_bucket_down_together_and_drops_as_each_is_back()
    {
        var windows = PlanSchedule.Windows(Plan(M("a1", "a", 0, .25, 30), M("a2", "a", 0, .25, 10), M("a3", "a", 1, .5, 20)));

        var steps = PlanSchedule.LostOverTime(windows);

        Assert.Equal(
            [
                (TimeSpan.Zero, TimeSpan.FromMinutes(10), .5),
                (TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), .25),
                (TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(50), .5),
            ],
            steps);
    }
}
