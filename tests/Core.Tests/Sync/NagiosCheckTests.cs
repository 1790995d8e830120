using System.Collections.Immutable;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Core.Sync;
using static Wrangler.Core.Tests.Campaigns.FleetBuilder;
using FleetMasters = System.Collections.Immutable.ImmutableArray<Wrangler.Core.Fleet.MasterState>;

namespace Wrangler.Core.Tests.Sync;

public sealed class NagiosCheckTests
{
    private static FleetMasters FleetOf(params MasterState[] m) => [.. m];

    private static readonly DateTimeOffset Now = new(2026, 12, 1, 3, 0, 0, TimeSpan.Zero);

    private static SyncStatus Status(ImmutableDictionary<string, DateTimeOffset>? behind = null, FreezeView? freeze = null, LastAutoReconfig? last = null, SyncAction action = SyncAction.InSync)
    {
        var since = behind ?? ImmutableDictionary<string, DateTimeOffset>.Empty;
        return new(true, new SyncDecision(action, "x"), [], freeze, since, SyncRules.Drifting(since, Now, TimeSpan.FromMinutes(30)), TimeSpan.FromMinutes(30), last, Now);
    }

    [Fact]
    public void All_in_sync_is_ok_with_perfdata()
    {
        var r = NagiosCheck.Evaluate(FleetOf(Master("bm01-tests1-linux32"), Master("bm02-tests1-linux32")), Status(), Now);
        Assert.Equal(NagiosState.Ok, r.State);
        Assert.Equal("OK - 2 master(s), all at the production tip|masters=2;;;0 out_of_sync=0;;;0 drifting=0;;;0 unreachable=0;;;0", r.Text);
    }

    [Fact]
    public void A_master_behind_past_the_alarm_is_critical_and_named_but_one_just_behind_is_not()
    {
        var masters = FleetOf(Master("bm01-tests1-linux32", inSync: false), Master("bm02-tests1-linux32", inSync: false));
        var behind = ImmutableDictionary<string, DateTimeOffset>.Empty.Add("bm01-tests1-linux32", Now.AddMinutes(-45)).Add("bm02-tests1-linux32", Now.AddMinutes(-2));
        var r = NagiosCheck.Evaluate(masters, Status(behind), Now);
        Assert.Equal(NagiosState.Critical, r.State);
        Assert.StartsWith("CRITICAL - out of sync for over 30m: bm01-tests1-linux32 (buildbot-configs, 45m)|", r.Text);
        Assert.DoesNotContain("bm02", r.Text.Split('|')[0]);
        Assert.EndsWith("out_of_sync=2;;;0 drifting=1;;;0 unreachable=0;;;0", r.Text);
    }

    [Fact]
    public void Drift_under_a_freeze_is_a_warning_that_says_who_froze_it()
    {
        var behind = ImmutableDictionary<string, DateTimeOffset>.Empty.Add("bm01-tests1-linux32", Now.AddHours(-2));
        var r = NagiosCheck.Evaluate(FleetOf(Master("bm01-tests1-linux32", inSync: false)), Status(behind, new FreezeView(1, "alice", "release | 142", Now.AddHours(-3))), Now);
        Assert.Equal(NagiosState.Warning, r.State);
        Assert.Contains("frozen by alice: release / 142", r.Text);
        Assert.Single(r.Text.Split('|').Skip(1));
    }

    [Fact]
    public void A_parked_auto_reconfig_on_a_broken_tip_is_critical_and_unreachable_masters_warn()
    {
        var last = new LastAutoReconfig(9, "k", CampaignState.Parked, "1 master(s) failed: bm01: checkConfig: checkconfig failed", ["bm01-tests1-linux32"]);
        var r = NagiosCheck.Evaluate(FleetOf(Master("bm01-tests1-linux32", inSync: false)), Status(last: last, action: SyncAction.FailedTip), Now);
        Assert.Equal(NagiosState.Critical, r.State);
        Assert.Contains("auto-reconfig campaign 9 parked: 1 master(s) failed", r.Text);

        var w = NagiosCheck.Evaluate(FleetOf(Master("bm01-tests1-linux32"), Master("bm02-tests1-linux32", observed: MasterStatus.Unreachable)), Status(), Now);
        Assert.Equal(NagiosState.Warning, w.State);
        Assert.StartsWith("WARNING - unreachable: bm02-tests1-linux32|", w.Text);
    }
}
