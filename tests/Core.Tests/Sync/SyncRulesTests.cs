using Microsoft.Extensions.Time.Testing;
using System.Collections.Immutable;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Sync;
using Wrangler.Core.Tests.Demo;
using static Wrangler.Core.Tests.Campaigns.FleetBuilder;
using FleetMasters = System.Collections.Immutable.ImmutableArray<Wrangler.Core.Fleet.MasterState>;

namespace Wrangler.Core.Tests.Sync;

public sealed class SyncRulesTests
{
    private static FleetMasters FleetOf(params MasterState[] m) => [.. m];

    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(5);
    private readonly FakeTimeProvider time = new(T0);

    private static readonly ImmutableArray<MasterState> Behind =
        FleetOf(Master("bm01-tests1-linux32", inSync: false), Master("bm02-tests1-linux32", inSync: false), Master("bm03-build1", MasterRole.Build, inSync: true));

    private SyncInputs Inputs(IReadOnlyList<TipMove> tips, IReadOnlyList<MasterState>? masters = null, FreezeView? freeze = null, LastAutoReconfig? last = null,
        CiVerdict ci = CiVerdict.NotConfigured, bool auto = true) =>
        new(time.GetUtcNow(), auto, Quiet, tips, freeze, masters ?? Behind, last, ci);

    private static TipMove Tip(string repo, string rev, DateTimeOffset at) => new(repo, "production", rev, at);

    [Fact]
    public void A_tip_that_moved_waits_for_the_quiet_window_then_starts_the_masters_behind()
    {
        var tips = new[] { Tip("buildbot-configs", "bbbb", T0) };
        time.Advance(TimeSpan.FromMinutes(4));
        var waiting = SyncRules.Decide(Inputs(tips));
        Assert.Equal(SyncAction.Quiet, waiting.Action);
        Assert.Equal(T0 + Quiet, waiting.Until);

        time.Advance(TimeSpan.FromMinutes(1));
        var go = SyncRules.Decide(Inputs(tips));
        Assert.Equal(SyncAction.Start, go.Action);
        Assert.Equal(["bm01-tests1-linux32", "bm02-tests1-linux32"], go.Masters.ToArray());
    }

    [Fact]
    public void A_second_repo_moving_inside_the_window_restarts_the_wait_for_both()
    {
        var tips = new[] { Tip("buildbot-configs", "bbbb", T0), Tip("buildbotcustom", "cccc", T0 + TimeSpan.FromMinutes(3)) };
        time.Advance(TimeSpan.FromMinutes(6));
        var d = SyncRules.Decide(Inputs(tips));
        Assert.Equal(SyncAction.Quiet, d.Action);
        Assert.Equal(T0 + TimeSpan.FromMinutes(8), d.Until);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(SyncAction.Start, SyncRules.Decide(Inputs(tips)).Action);
    }

    [Fact]
    public void Track_keeps_the_first_sighting_of_a_tip_and_restarts_the_clock_when_it_moves()
    {
        var first = SyncRules.Track([], new Dictionary<(string, string), string> { [("buildbot-configs", "production")] = "aaaa" }, T0);
        var same = SyncRules.Track(first, new Dictionary<(string, string), string> { [("buildbot-configs", "production")] = "aaaa" }, T0.AddMinutes(1));
        var moved = SyncRules.Track(same, new Dictionary<(string, string), string> { [("buildbot-configs", "production")] = "bbbb" }, T0.AddMinutes(2));
        Assert.Equal(T0, Assert.Single(same).MovedAt);
        Assert.Equal((T0.AddMinutes(2), "bbbb"), (Assert.Single(moved).MovedAt, moved[0].Revision));
        var unreadable = SyncRules.Track(moved, new Dictionary<(string, string), string>(), T0.AddMinutes(3));
        Assert.Equal(T0.AddMinutes(2), Assert.Single(unreadable).MovedAt);
    }

    [Fact]
    public void A_freeze_stops_it_and_says_who_and_why()
    {
        var tips = new[] { Tip("buildbot-configs", "bbbb", T0) };
        time.Advance(TimeSpan.FromHours(1));
        var d = SyncRules.Decide(Inputs(tips, freeze: new FreezeView(1, "alice", "release 142", T0)));
        Assert.Equal(SyncAction.Frozen, d.Action);
        Assert.Contains("alice", d.Reason);
        Assert.Contains("release 142", d.Reason);
    }

    [Fact]
    public void CI_is_asked_only_when_everything_else_says_go_and_red_holds_it_back()
    {
        var tips = new[] { Tip("buildbot-configs", "bbbb", T0) };
        Assert.Equal(SyncAction.Quiet, SyncRules.Decide(Inputs(tips, ci: CiVerdict.NotChecked)).Action);
        time.Advance(Quiet);
        Assert.Equal(SyncAction.NeedCi, SyncRules.Decide(Inputs(tips, ci: CiVerdict.NotChecked)).Action);
        Assert.Equal(SyncAction.CiNotGreen, SyncRules.Decide(Inputs(tips, ci: CiVerdict.NotGreen)).Action);
        Assert.Equal(SyncAction.Start, SyncRules.Decide(Inputs(tips, ci: CiVerdict.Green)).Action);
    }

    [Fact]
    public void The_same_tips_are_never_tried_again_after_a_failure_but_a_new_tip_supersedes_the_parked_campaign()
    {
        var tips = new[] { Tip("buildbot-configs", "bbbb", T0) };
        time.Advance(Quiet);
        var parked = new LastAutoReconfig(7, SyncRules.TipsKey(tips), CampaignState.Parked, "checkconfig failed", ["bm01-tests1-linux32", "bm02-tests1-linux32"]);
        var again = SyncRules.Decide(Inputs(tips, last: parked));
        Assert.Equal(SyncAction.FailedTip, again.Action);
        Assert.Contains("campaign 7 for these tips is parked", again.Reason);

        var fixedTips = new[] { Tip("buildbot-configs", "cccc", time.GetUtcNow()) };
        Assert.Equal(SyncAction.Quiet, SyncRules.Decide(Inputs(fixedTips, last: parked)).Action);
        time.Advance(Quiet);
        var supersede = SyncRules.Decide(Inputs(fixedTips, last: parked));
        Assert.Equal((SyncAction.Supersede, (long?)7), (supersede.Action, supersede.Campaign));
        Assert.Equal(SyncAction.Start, SyncRules.Decide(Inputs(fixedTips, last: parked with { State = CampaignState.Aborted })).Action);

        // An abort by a person is respected the same way: not for these tips again.
        Assert.Equal(SyncAction.FailedTip, SyncRules.Decide(Inputs(tips, last: parked with { State = CampaignState.Aborted })).Action);
    }

    [Fact]
    public void A_running_campaign_blocks_a_second_and_a_master_already_tried_for_these_tips_is_left_alone()
    {
        var tips = new[] { Tip("buildbot-configs", "bbbb", T0) };
        time.Advance(Quiet);
        var running = new LastAutoReconfig(3, SyncRules.TipsKey(tips), CampaignState.Running, null, ["bm01-tests1-linux32"]);
        Assert.Equal(SyncAction.Busy, SyncRules.Decide(Inputs(tips, last: running)).Action);
        var d = SyncRules.Decide(Inputs(tips, last: running with { State = CampaignState.Succeeded }));
        Assert.Equal(SyncAction.Start, d.Action);
        Assert.Equal(["bm02-tests1-linux32"], d.Masters.ToArray());
    }

    [Fact]
    public void Off_in_sync_and_unreachable_masters_start_nothing()
    {
        var tips = new[] { Tip("buildbot-configs", "bbbb", T0) };
        time.Advance(Quiet);
        Assert.Equal(SyncAction.Off, SyncRules.Decide(Inputs(tips, auto: false)).Action);
        Assert.Equal(SyncAction.InSync, SyncRules.Decide(Inputs(tips, FleetOf(Master("bm01-tests1-linux32")))).Action);
        var d = SyncRules.Decide(Inputs(tips, FleetOf(Master("bm01-tests1-linux32", observed: MasterStatus.Unreachable, inSync: false))));
        Assert.Equal(SyncAction.NothingReachable, d.Action);
        Assert.Contains("unreachable", d.Reason);
    }

    [Fact]
    public void Drift_counts_from_when_a_master_was_first_seen_behind_and_resets_once_it_catches_up()
    {
        var since = SyncRules.BehindSince(ImmutableDictionary<string, DateTimeOffset>.Empty, Behind, T0);
        var later = SyncRules.BehindSince(since, Behind, T0.AddMinutes(31));
        Assert.Equal(T0, later["bm01-tests1-linux32"]);
        Assert.Equal(["bm01-tests1-linux32", "bm02-tests1-linux32"], SyncRules.Drifting(later, T0.AddMinutes(31), TimeSpan.FromMinutes(30)).ToArray());
        Assert.Empty(SyncRules.Drifting(later, T0.AddMinutes(29), TimeSpan.FromMinutes(30)));

        var updating = SyncRules.BehindSince(later, FleetOf(Master("bm01-tests1-linux32", inSync: null), Master("bm02-tests1-linux32", inSync: null)), T0.AddMinutes(31));
        Assert.Equal(T0, updating["bm01-tests1-linux32"]);
        Assert.Empty(SyncRules.BehindSince(ImmutableDictionary<string, DateTimeOffset>.Empty, FleetOf(Master("bm01-tests1-linux32", inSync: null)), T0));

        var caughtUp = SyncRules.BehindSince(later, FleetOf(Master("bm01-tests1-linux32"), Master("bm02-tests1-linux32", inSync: false)), T0.AddMinutes(32));
        Assert.Equal(["bm02-tests1-linux32"], caughtUp.Keys.ToArray());
    }
}
