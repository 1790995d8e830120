using System.Collections.Immutable;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Tests.Campaigns;

/// <summary>Hand-built masters for planner tests: only what the planner reads is interesting, the rest is filler.</summary>
internal static class FleetBuilder
{
    public static readonly IReadOnlyDictionary<(string Master, CampaignKind Kind), TimeSpan> NoHistory =
        new Dictionary<(string Master, CampaignKind Kind), TimeSpan>();

    public static MasterState Master(
        string name,
        MasterRole role = MasterRole.Tests,
        string datacentre = "scl3",
        bool enabled = true,
        MasterStatus observed = MasterStatus.Running,
        string? detail = null,
        int workers = 10,
        int connected = 0,
        int runningBuilds = 0,
        bool? inSync = true)
    {
        var host = name.Split('-')[0] + ".example.com";
        return new MasterState
        {
            Master = new MasterInfo
            {
                Name = name,
                Hostname = host,
                Enabled = enabled,
                Role = role,
                Datacentre = datacentre,
                Basedir = "/builds/" + name,
                MasterDir = "/builds/" + name + "/master",
                HttpPort = 8001,
                BuildbotBin = "/builds/" + name + "/bin/buildbot",
                ApiUrl = new Uri($"http://{host}:8001/api/v2"),
                Repos = [new RepoCheckout("buildbot-configs", "/builds/" + name + "/buildbot-configs", "production")],
            },
            Observed = enabled ? observed : MasterStatus.Disabled,
            ObservedDetail = detail,
            Workers = new WorkerCounts(connected, 0, 0, workers),
            RunningBuilds = [.. Enumerable.Range(1, runningBuilds).Select(i => new RunningBuild(i, 1, "linux-opt", i, null, null, null, 1, "building"))],
            Repos = [new RepoState("buildbot-configs", "/builds/" + name + "/buildbot-configs", "production", "aaaa", inSync is null ? null : inSync.Value ? "aaaa" : "bbbb", inSync, null)],
        };
    }

    public static CampaignRequest Request(
        CampaignKind kind = CampaignKind.GracefulRestart,
        Selector? selector = null,
        CampaignPolicy? policy = null) =>
        new(kind, selector ?? new Selector { Roles = [MasterRole.Build, MasterRole.Try, MasterRole.Tests, MasterRole.Scheduler] }, policy ?? new CampaignPolicy());

    public static Selector Names(params string[] names) => new() { Names = [.. names] };

    public static string[][] Waves(CampaignPlan plan) => [.. plan.Waves.Select(w => w.ToArray())];

    public static ImmutableArray<MasterState> Fleet(params MasterState[] masters) => [.. masters];
}
