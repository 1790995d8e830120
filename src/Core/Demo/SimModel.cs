using System.Threading.Channels;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Demo;

/// <summary>One builder of a simulated master. Workers of the same <see cref="Group"/> can run it.</summary>
internal sealed class SimBuilder
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public required string Group { get; init; }
    public required double MeanMinutes { get; init; }
    public required int NextNumber { get; set; }
}

internal sealed class SimWorker
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public required string Group { get; init; }
    public required string Ip { get; init; }
    public bool Connected { get; set; }
    public bool Paused { get; set; }
    public bool Graceful { get; set; }

    /// <summary>False after a kill or a graceful stop: nothing restarts a worker process but a person (BUILDBOT.md §3).</summary>
    public bool ProcessUp { get; set; } = true;

    public SimBuild? Build { get; set; }

    /// <summary>Bumped on every disconnect, so a reconnect scheduled for an earlier disconnect is ignored.</summary>
    public int Epoch { get; set; }
}

internal sealed class SimBuild
{
    public required int Id { get; init; }
    public required SimBuilder Builder { get; init; }
    public required int Number { get; init; }
    public required SimRequest Request { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset EndsAt { get; init; }
    public required SimWorker Worker { get; init; }
    public bool Done { get; set; }
}

internal sealed record SimRequest(int Id, SimBuilder Builder, DateTimeOffset SubmittedAt);

internal sealed class SimMaster
{
    private double? meanBuildMinutes;

    public required MasterInfo Info { get; init; }
    public required int MasterId { get; init; }
    public required Random Rng { get; init; }
    public required bool Flaky { get; init; }

    /// <summary>Share of the workers' capacity that arrives as build requests at the busiest hour; above 1 queues grow.</summary>
    public required double Load { get; init; }

    public required IReadOnlyList<SimBuilder> Builders { get; init; }
    public required IReadOnlyList<SimWorker> Workers { get; init; }

    public double MeanBuildMinutes => meanBuildMinutes ??= Builders.Count == 0 ? 0 : Builders.Average(b => b.MeanMinutes);

    public bool Alive { get; set; }
    public int? Pid { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public bool ShuttingDown { get; set; }
    public DateTimeOffset HostBootedAt { get; set; }

    /// <summary>While rebooting, sshd is not up yet.</summary>
    public DateTimeOffset? SshDownUntil { get; set; }

    /// <summary>A flaky master's network blip.</summary>
    public DateTimeOffset? FlakyUntil { get; set; }

    /// <summary>Bumped on every stop and start, so a scheduled auto-start or reconnect from an earlier life is ignored.</summary>
    public int Epoch { get; set; }

    public bool LockPresent { get; set; }
    public bool ConfigBroken { get; set; }
    public Dictionary<string, string> Revisions { get; } = [];
    public List<SimBuild> Running { get; } = [];
    public List<SimRequest> Pending { get; } = [];
    public List<string> Log { get; } = [];
    public List<Channel<MasterLogEvent>> Followers { get; } = [];

    public bool SshReachable(DateTimeOffset t) => !(SshDownUntil > t) && !(FlakyUntil > t);
}

/// <summary>The production branch of one simulated upstream repository.</summary>
internal sealed class SimRepoLine(string name, string branch, string previous, string tip)
{
    public string Name => name;
    public string Branch => branch;
    public string Previous { get; set; } = previous;
    public string Tip { get; set; } = tip;
}
