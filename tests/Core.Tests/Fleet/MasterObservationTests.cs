using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Tests.Fleet;

public sealed class MasterObservationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly Dictionary<(string, string), string> NoTips = [];

    private static readonly MasterInfo Info = new()
    {
        Name = "bm01-tests1-linux32",
        Hostname = "bm01.example.com",
        Role = MasterRole.Tests,
        Basedir = "/builds/bb",
        MasterDir = "/builds/bb/master",
        HttpPort = 8001,
        BuildbotBin = "/builds/bb/bin/buildbot",
        ApiUrl = new Uri("http://bm01.example.com:8001/api/v2"),
        Repos = [new RepoCheckout("buildbot-configs", "/builds/bb/buildbot-configs", "production")],
    };

    private static HostFacts Facts(bool alive = true, string revision = "aaaaaaaaaaaa", string branch = "production", DateTimeOffset? started = null, params string[] log) =>
        new(Now, [new RepoFacts("buildbot-configs", "/builds/bb/buildbot-configs", "production", revision, branch, null)],
            alive ? 4242 : null, alive, alive ? started ?? Now.AddDays(-3) : null, false, TimeSpan.FromDays(30), log, [], TimeSpan.FromMilliseconds(20));

    private static string Log(DateTimeOffset at, string message) => $"{at:yyyy-MM-dd HH:mm:ss}+0000 [-] {message}";

    private static RestView Rest(int masterId = 1, params BuildbotWorker[] workers) =>
        new([new BuildbotMaster(masterId, "bm01.example.com:/builds/bb/master", true, Now)], workers, [], []);

    private static BuildbotWorker Worker(string name, int? connectedTo, int configuredOn = 1, bool paused = false, bool graceful = false) =>
        new(1, name, connectedTo is { } c ? [c] : [], [new WorkerBuilderConfig(1, configuredOn)], paused, graceful);

    private static MasterState Combine(HostFacts? facts, RestView? rest, Exception? hostError = null, Exception? restError = null, MasterState? previous = null,
        IReadOnlyDictionary<(string, string), string>? tips = null) =>
        MasterObservation.Combine(previous ?? MasterState.NotYetPolled(Info), facts, hostError, rest, restError, tips ?? NoTips, Now, TimeSpan.FromMilliseconds(50));

    [Fact]
    public void A_live_process_with_a_REST_answer_is_running()
    {
        var s = Combine(Facts(), Rest());
        Assert.Equal(MasterStatus.Running, s.Status);
        Assert.Null(s.StatusDetail);
        Assert.Equal(Now, s.LastPolledAt);
    }

    [Fact]
    public void No_process_is_stopped_and_clears_what_only_a_live_master_has()
    {
        var before = Combine(Facts(), Rest(1, Worker("w1", 1)));
        Assert.Equal(1, before.Workers.Connected);

        var s = Combine(Facts(alive: false), null, restError: new BuildbotApiException(BuildbotErrorKind.Unreachable, "refused"), previous: before);
        Assert.Equal(MasterStatus.Stopped, s.Status);
        Assert.Equal(0, s.Workers.Connected);
        Assert.Equal(1, s.Workers.Configured);
        Assert.Contains("no twistd.pid", s.StatusDetail);
    }

    [Fact]
    public void A_failed_startup_in_the_log_is_named()
    {
        var s = Combine(Facts(false, log: Log(Now.AddMinutes(-1), "BuildMaster startup failed")), null);
        Assert.Equal(MasterStatus.Stopped, s.Status);
        Assert.StartsWith("startup failed", s.StatusDetail);
    }

    [Fact]
    public void An_ssh_failure_is_unreachable_with_the_reason_and_keeps_the_last_known_data()
    {
        var before = Combine(Facts(), Rest(1, Worker("w1", 1)));
        var s = Combine(null, null, new SshException(SshFailureKind.Unreachable, "127.0.0.1:22 is unreachable: Connection refused", "127.0.0.1"), previous: before);
        Assert.Equal(MasterStatus.Unreachable, s.Status);
        Assert.Equal("127.0.0.1:22 is unreachable: Connection refused", s.StatusDetail);
        Assert.Equal(before.Repos, s.Repos);
        Assert.Equal(1, s.Workers.Connected);
    }

    [Fact]
    public void A_poll_that_timed_out_says_so()
    {
        var s = Combine(null, null, new OperationCanceledException());
        Assert.Equal(MasterStatus.Unreachable, s.Status);
        Assert.Contains("poll timeout", s.StatusDetail);
    }

    [Fact]
    public void A_clean_shutdown_in_this_process_life_is_draining_with_the_build_count()
    {
        var started = Now.AddHours(-2);
        var s = Combine(Facts(started: started, log:
        [
            Log(started, "BuildMaster is running"),
            Log(Now.AddMinutes(-5), "Initiating clean shutdown"),
            Log(Now.AddMinutes(-1), "Waiting for 3 build(s) to finish"),
        ]), Rest());
        Assert.Equal(MasterStatus.Draining, s.Status);
        Assert.Contains("3 build(s)", s.StatusDetail);
    }

    [Fact]
    public void A_shutdown_from_a_previous_life_does_not_make_a_restarted_master_draining()
    {
        var started = Now.AddMinutes(-10);
        var s = Combine(Facts(started: started, log:
        [
            Log(Now.AddHours(-1), "Initiating clean shutdown"),
            Log(Now.AddMinutes(-11), "Server Shut Down."),
            Log(started, "BuildMaster is running"),
        ]), Rest());
        Assert.Equal(MasterStatus.Running, s.Status);
    }

    [Fact]
    public void A_reconfig_begun_and_not_finished_is_reconfiguring_and_a_finished_one_sets_last_reconfig()
    {
        var started = Now.AddDays(-1);
        var begun = Combine(Facts(started: started, log: [Log(started, "BuildMaster is running"), Log(Now.AddSeconds(-5), "beginning configuration update")]), Rest());
        Assert.Equal(MasterStatus.Reconfiguring, begun.Status);

        var done = Combine(Facts(started: started, log:
        [
            Log(started, "BuildMaster is running"),
            Log(Now.AddSeconds(-5), "beginning configuration update"),
            Log(Now.AddSeconds(-2), "configuration update complete"),
        ]), Rest(), previous: begun);
        Assert.Equal(MasterStatus.Running, done.Status);
        Assert.Equal(Now.AddSeconds(-2), done.LastReconfigAt);
    }

    [Fact]
    public void A_young_process_without_REST_is_starting_an_old_one_is_unreachable()
    {
        var young = Combine(Facts(started: Now.AddSeconds(-10)), null, restError: new BuildbotApiException(BuildbotErrorKind.Unreachable, "refused"));
        Assert.Equal(MasterStatus.Starting, young.Status);

        var old = Combine(Facts(started: Now.AddDays(-1), log: Log(Now.AddDays(-1), "BuildMaster is running")), null,
            restError: new BuildbotApiException(BuildbotErrorKind.Unreachable, "connection refused"));
        Assert.Equal(MasterStatus.Unreachable, old.Status);
        Assert.Contains("REST API not answering: connection refused", old.StatusDetail);
    }

    [Theory]
    [InlineData("aaaaaaaaaaaa", "production", "aaaaaaaaaaaa", true)]
    [InlineData("aaaaaaaaaaaa", "production", "bbbbbbbbbbbb", false)]
    [InlineData("aaaaaaaaaaaa+", "production", "aaaaaaaaaaaa", false)] // local changes are never production
    [InlineData("aaaaaaaaaaaa", "default", "aaaaaaaaaaaa", false)]     // the right hash on the wrong branch is not in sync
    public void Sync_compares_the_checkout_with_the_production_tip(string revision, string branch, string tip, bool inSync)
    {
        var s = Combine(Facts(revision: revision, branch: branch), Rest(), tips: new Dictionary<(string, string), string> { [("buildbot-configs", "production")] = tip });
        Assert.Equal(inSync, s.Repos.Single().InSync);
        Assert.Equal(inSync, s.InSync);
    }

    [Fact]
    public void Without_a_known_tip_sync_is_unknown_not_in_sync()
    {
        var s = Combine(Facts(), Rest());
        Assert.Null(s.Repos.Single().InSync);
        Assert.Null(s.InSync);
    }

    [Fact]
    public void New_tips_re_evaluate_sync_without_a_poll()
    {
        var tips = new Dictionary<(string, string), string> { [("buildbot-configs", "production")] = "aaaaaaaaaaaa" };
        var s = Combine(Facts(), Rest(), tips: tips);
        Assert.True(s.InSync);
        var moved = MasterObservation.WithTips(s, new Dictionary<(string, string), string> { [("buildbot-configs", "production")] = "cccccccccccc" });
        Assert.False(moved.InSync);
        Assert.Equal("cccccccccccc", moved.Repos.Single().TipRevision);
    }

    [Fact]
    public void Only_workers_of_this_master_count_when_masters_share_a_database()
    {
        var s = Combine(Facts(), Rest(7,
            Worker("mine-connected", 7),
            Worker("mine-paused", 7, paused: true),
            Worker("mine-graceful", 7, graceful: true),
            Worker("mine-away", null, configuredOn: 7),
            Worker("elsewhere", 9, configuredOn: 9)));
        Assert.Equal(new WorkerCounts(3, 1, 1, 4), s.Workers);
        Assert.DoesNotContain(s.WorkerList, w => w.Name == "elsewhere");
    }

    [Fact]
    public void Disabled_masters_are_disabled_whatever_polling_says()
    {
        var disabled = MasterState.NotYetPolled(Info with { Enabled = false });
        var s = MasterObservation.Combine(disabled, Facts(), null, Rest(), null, NoTips, Now, TimeSpan.Zero);
        Assert.Equal(MasterStatus.Disabled, s.Status);
    }

    [Fact]
    public void A_campaign_status_overrides_the_observed_one_until_cleared()
    {
        var s = Combine(Facts(), Rest()) with { CampaignStatus = MasterStatus.Draining, CampaignDetail = "campaign 12: draining" };
        Assert.Equal(MasterStatus.Draining, s.Status);
        Assert.Equal("campaign 12: draining", s.StatusDetail);
        Assert.Equal(MasterStatus.Running, (s with { CampaignStatus = null }).Status);
    }
}
