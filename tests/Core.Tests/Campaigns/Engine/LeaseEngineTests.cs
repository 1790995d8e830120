using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Sync;

namespace Wrangler.Core.Tests.Campaigns.Engine;

/// <summary>
/// Two Wrangler processes on one database (docs/ha.md): one leads, the other follows read-only and takes over when
/// the leader dies, recovering its campaign as a restart does. The lab proves the same with two real processes
/// (tests/Dashboard.Tests/Campaigns/LeaderTakeoverTests.cs).
/// </summary>
public sealed class LeaseEngineTests
{
    [Fact]
    public async Task A_follower_refuses_changes_naming_the_leader_and_takes_over_within_a_minute_of_its_death_mid_drain_finishing_the_campaign_once()
    {
        using var world = new World(World.Afternoon);
        var m = world.Fleet.Masters.First(x => x.Role == MasterRole.Tests && x.Enabled
            && world.Fleet.Api(x).GetRunningBuildsAsync().GetAwaiter().GetResult().Count > 0);
        var stopsBefore = world.Facts(m.Name).Stops;

        // The leader dies right after the save that starts the drain: the drain is under way on the master. Save 1
        // starts the first step; each save after it ends one step and starts the next (CampaignRunner).
        var drainStarts = CampaignStates.StepsFor(CampaignKind.GracefulRestart, MasterRole.Tests).ToList().IndexOf(StepKind.Drain) + 1;
        var leader = await Engine.StartAsync(world, crashAfterStepChanges: drainStarts, instance: "wrangler-a");
        await using var follower = await Engine.StartAsync(world, instance: "wrangler-b");
        Assert.True(leader.Lease.IsLeader);
        Assert.False(follower.Lease.IsLeader);
        Assert.Equal("wrangler-a", follower.Lease.Current.Leader);

        var refused = await Assert.ThrowsAsync<CampaignRefusedException>(() => follower.CreateAsync(CampaignKind.GracefulRestart, [m.Name]));
        Assert.Equal(503, refused.StatusCode);
        Assert.Contains("wrangler-b", refused.Message);
        Assert.Contains("wrangler-a leads", refused.Message);

        var c = await leader.CreateAsync(CampaignKind.GracefulRestart, [m.Name], new CampaignPolicy { DrainTimeout = TimeSpan.FromMinutes(30), OnDrainTimeout = DrainTimeoutAction.HardStop });
        await leader.CommandAsync(c.Id, CampaignCommand.Approve);
        await leader.PumpUntilAsync(() => leader.Crash.Dead, "the leader's death as the drain starts", TimeSpan.FromMinutes(30));
        var died = world.Time.GetUtcNow();
        await leader.DisposeAsync(); // its writes fail: it cannot release the lease, so the follower waits for it to expire

        await follower.PumpUntilAsync(() => follower.Lease.IsLeader, "the follower taking over", TimeSpan.FromMinutes(1));
        Assert.InRange(world.Time.GetUtcNow() - died, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.Equal("wrangler-b", follower.Lease.Current.Leader);

        var done = await follower.UntilOverAsync(c.Id);
        Assert.True(done.State == CampaignState.Succeeded, done.ToString());
        Assert.All(done.Masters[0].Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        Assert.Empty(await follower.OpenLedgerAsync(c.Id));
        var facts = world.Facts(m.Name);
        Assert.True(facts.Alive);
        Assert.False(facts.Locked);
        Assert.Equal(1, facts.Stops - stopsBefore); // one shutdown, though two instances had the campaign
    }

    [Fact]
    public async Task A_clean_stop_hands_the_lease_to_the_follower_at_its_next_look()
    {
        using var world = new World();
        var leader = await Engine.StartAsync(world, instance: "wrangler-a");
        await using var follower = await Engine.StartAsync(world, instance: "wrangler-b");
        Assert.False(follower.Lease.IsLeader);

        await leader.DisposeAsync();
        var stopped = world.Time.GetUtcNow();
        await follower.PumpUntilAsync(() => follower.Lease.IsLeader, "the follower taking over", TimeSpan.FromMinutes(1));

        // A look every third of the 30 s lease, not a wait for it to expire.
        Assert.InRange(world.Time.GetUtcNow() - stopped, TimeSpan.Zero, TimeSpan.FromSeconds(12));
        var c = await follower.CreateAsync(CampaignKind.Reconfig, ["bm01-tests1-linux32"]);
        await follower.CommandAsync(c.Id, CampaignCommand.Approve);
        Assert.Equal(CampaignState.Succeeded, (await follower.UntilOverAsync(c.Id)).State);
    }

    [Fact]
    public async Task A_restarted_Wrangler_keeps_the_drift_clock_and_the_tips_times_so_the_alarm_fires_on_time()
    {
        using var world = new World();
        DateTimeOffset since;
        string behind;
        TipMove tip;
        await using (var first = await Engine.StartAsync(world))
        {
            var watcher = await first.StartWatcherAsync();
            await first.PumpUntilAsync(() => watcher.Current.BehindSince.Count > 0 && watcher.Current.Tips.Length > 0, "a master behind production");
            (behind, since) = watcher.Current.BehindSince.OrderBy(kv => kv.Key, StringComparer.Ordinal).First();
            tip = watcher.Current.Tips[0];
            await first.PumpUntilAsync(() => world.Time.GetUtcNow() - since > TimeSpan.FromMinutes(10), "ten minutes behind", step: TimeSpan.FromSeconds(10));
            Assert.Empty(watcher.Current.Drifting);
        }

        var restarted = world.Time.GetUtcNow();
        await using var second = await Engine.StartAsync(world);
        var again = await second.StartWatcherAsync();
        await second.PumpUntilAsync(() => again.Current.EvaluatedAt > restarted, "the watcher's first look after the restart");

        Assert.Equal(since, again.Current.BehindSince[behind]);
        Assert.Contains(again.Current.Tips, t => t.Repo == tip.Repo && t.Branch == tip.Branch && (t.Revision != tip.Revision || t.MovedAt == tip.MovedAt));
        Assert.DoesNotContain(behind, again.Current.Drifting);

        await second.PumpUntilAsync(() => again.Current.Drifting.Contains(behind), "the drift alarm", TimeSpan.FromMinutes(25), step: TimeSpan.FromSeconds(10));
        var fired = again.Current.EvaluatedAt;
        Assert.InRange(fired - since, again.Current.DriftAlarmAfter, again.Current.DriftAlarmAfter + TimeSpan.FromSeconds(20));
    }
}
