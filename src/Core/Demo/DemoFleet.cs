using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Demo;

/// <summary>
/// A simulated fleet of Buildbot masters, used when no inventory is configured. It behaves like the real thing as far as
/// Wrangler can see (BUILDBOT.md): builds start and end on workers, upstream tips move, clean shutdowns wait for running
/// builds, reboots bring masters back by themselves, one or two masters' networks flap.
/// <para>Time comes only from the injected <see cref="TimeProvider"/>: every call first simulates up to its current time,
/// so there is no background thread and a fake clock drives it completely. The same seed and the same sequence of calls
/// at the same times give the same fleet.</para>
/// <para>Register one instance as <see cref="IFleetAccess"/>, <see cref="IRepoTips"/> and, through <see cref="Masters"/>,
/// the inventory.</para>
/// </summary>
public sealed partial class DemoFleet : IFleetAccess, IRepoTips, IInventoryView
{
    private readonly Lock gate = new();
    private readonly TimeProvider time;
    private readonly List<SimMaster> sims;
    private readonly Dictionary<string, SimMaster> byName;
    private readonly Dictionary<string, DemoMasterHost> hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DemoBuildbotApi> apis = new(StringComparer.Ordinal);
    private readonly List<SimRepoLine> repoLines = [];

    // Separate streams so that what depends on call patterns (latencies, pids) never shifts what the simulation does.
    private readonly Random fleetRng;
    private readonly Random tipRng;
    private readonly Random noise;

    public DemoFleet(TimeProvider time, int? seed = null, int masters = DemoInventory.BaseSize)
    {
        ArgumentNullException.ThrowIfNull(time);
        this.time = time;
        Seed = seed ?? Random.Shared.Next();
        fleetRng = new Random(Seed);
        tipRng = new Random(unchecked(Seed * 31 + 17));
        noise = new Random(unchecked(Seed ^ 0x5bd1e995));
        sims = DemoInventory.Create(Seed, masters);
        byName = sims.ToDictionary(s => s.Info.Name, StringComparer.Ordinal);
        Masters = sims.Select(s => s.Info).ToList();
        simNow = gridAt = time.GetUtcNow();
        Initialise(simNow);
    }

    /// <summary>
    /// Host calls answer after the latency they report (checkconfig 3-9 s, a start 4-12 s, ...) instead of at once: the
    /// makespan benchmark (tests/Bench/Makespan.cs) needs steps that take their real time on its fake clock.
    /// </summary>
    public bool CallsTakeTime { get; set; }

    internal TimeProvider Clock => time;

    /// <summary>The seed this fleet was built from; log it to reproduce a demo.</summary>
    public int Seed { get; }

    /// <summary>The inventory of the demo fleet: 28 masters in 13 buckets over scl3 and aws-us-east-1.</summary>
    public IReadOnlyList<MasterInfo> Masters { get; }

    public IMasterHost Host(MasterInfo master)
    {
        var sim = Find(master);
        lock (gate)
        {
            if (!hosts.TryGetValue(sim.Info.Name, out var host))
            {
                hosts[sim.Info.Name] = host = new DemoMasterHost(this, sim);
            }

            return host;
        }
    }

    public IBuildbotApi Api(MasterInfo master)
    {
        var sim = Find(master);
        lock (gate)
        {
            if (!apis.TryGetValue(sim.Info.Name, out var api))
            {
                apis[sim.Info.Name] = api = new DemoBuildbotApi(this, sim);
            }

            return api;
        }
    }

    public Task<IReadOnlyDictionary<(string Repo, string Branch), string>> GetTipsAsync(
        IReadOnlyCollection<(string Repo, string Branch)> wanted, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        ct.ThrowIfCancellationRequested();
        lock (gate)
        {
            AdvanceLocked();
            var tips = new Dictionary<(string Repo, string Branch), string>();
            foreach (var (repo, branch) in wanted)
            {
                if (repoLines.FirstOrDefault(l => l.Name == repo && l.Branch == branch) is { } line)
                {
                    tips[(repo, branch)] = line.Tip;
                }
            }

            return Task.FromResult<IReadOnlyDictionary<(string Repo, string Branch), string>>(tips);
        }
    }

    /// <summary>
    /// Breaks (or mends) a master's master.cfg: while broken, checkconfig fails, reconfig is aborted and a start fails,
    /// with the error Buildbot would print.
    /// </summary>
    public void BreakConfig(string masterName, bool broken = true)
    {
        var sim = byName.GetValueOrDefault(masterName) ?? throw new ArgumentException($"'{masterName}' is not a demo master", nameof(masterName));
        lock (gate)
        {
            AdvanceLocked();
            sim.ConfigBroken = broken;
        }
    }

    /// <summary>Simulates up to the current time. Every other call does this too; this is for a clock that was just moved.</summary>
    public void Advance()
    {
        lock (gate)
        {
            AdvanceLocked();
        }
    }

    private SimMaster Find(MasterInfo master)
    {
        ArgumentNullException.ThrowIfNull(master);
        return byName.GetValueOrDefault(master.Name) ?? throw new ArgumentException($"'{master.Name}' is not a demo master", nameof(master));
    }
}
