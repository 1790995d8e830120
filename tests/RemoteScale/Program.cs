using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Fleet;
using Wrangler.Core.Remote;
using Wrangler.Lab;

// The scale run of docs/remote.md, not a test: N inventory entries, each its own "host" (127.0.0.2, 127.0.0.3, …,
// all the lab's one sshd), polled like FleetMonitor does (host facts, 16 at a time), on one transport per run.
// dotnet run -c Release --project tests/RemoteScale -- --transport sshnet --hosts 200 --rounds 3
var transport = Arg("--transport", "sshnet");
var hosts = int.Parse(Arg("--hosts", "200"), CultureInfo.InvariantCulture);
var rounds = int.Parse(Arg("--rounds", "3"), CultureInfo.InvariantCulture);
const int Parallelism = 16;

await using var lab = await LabFleet.StartAsync(new LabOptions { Masters = 3, WorkersPerMaster = 1, SshOnWholeLoopback = true });
var controlDir = Path.Combine("/tmp", "wrs-" + Guid.NewGuid().ToString("N")[..6]);
var configuration = new ConfigurationBuilder()
    .AddJsonFile(lab.SettingsPath)
    .AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Wrangler:Ssh:Client"] = transport,
        ["Wrangler:Ssh:ControlDirectory"] = controlDir,
        ["Wrangler:Ssh:ConnectTimeout"] = "00:00:20",
    })
    .Build();
var services = new ServiceCollection().AddWranglerRemote(configuration).BuildServiceProvider();
var runner = services.GetRequiredService<ISshRunner>();
var fleet = services.GetRequiredService<IFleetAccess>();
var parsed = InventoryParser.Parse(File.ReadAllText(lab.InventoryPath));
var masters = Enumerable.Range(0, hosts).Select(i =>
{
    var m = parsed.Masters[i % parsed.Masters.Count];
    return m with { Name = $"scale{i:000}-{m.Name}", Hostname = $"127.0.{(i + 2) / 250}.{((i + 2) % 250) + 2}" };
}).ToList();

GC.Collect();
var rssBefore = Rss(Environment.ProcessId);
var cpuBefore = Cpu(Environment.ProcessId, withChildren: true);
var wall = Stopwatch.StartNew();
var facts = new List<double>();
var failures = 0;
for (var round = 0; round < rounds; round++)
{
    await Parallel.ForEachAsync(masters, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (m, ct) =>
    {
        try
        {
            var f = await fleet.Host(m).GetFactsAsync(ct: ct);
            lock (facts)
            {
                facts.Add(f.Elapsed.TotalMilliseconds);
            }
        }
        catch (SshException e)
        {
            Interlocked.Increment(ref failures);
            Console.Error.WriteLine($"{m.Name}: {e.Message}");
        }
    });
    Console.WriteLine($"round {round + 1}: {facts.Count} polls, {failures} failures, {wall.Elapsed.TotalSeconds:0.0} s");
}

// Per-command latency over open sessions: `true` once on each host.
var trivial = new List<double>();
foreach (var m in masters)
{
    var r = await runner.RunAsync(new SshTarget(m.Hostname, m.SshLoginPort, m.SshUser), ["true"], TimeSpan.FromSeconds(20));
    trivial.Add(r.Elapsed.TotalMilliseconds);
}

var elapsed = wall.Elapsed;
var cpu = Cpu(Environment.ProcessId, withChildren: true) - cpuBefore;
GC.Collect();
var rssAfter = Rss(Environment.ProcessId);
var mux = runner is OpenSshRunner o ? o.MuxMasterPids().Where(p => File.ReadAllText($"/proc/{p}/cmdline").Contains("[mux]", StringComparison.Ordinal)).ToList() : [];
var muxRss = mux.Sum(Rss);
var muxCpu = mux.Sum(p => Cpu(p, withChildren: false));
var up = runner is SshNetRunner s ? s.ConnectedSessions : mux.Count;

Console.WriteLine();
Console.WriteLine($"| transport | hosts | sessions up | polls (failed) | RSS before → after | + mux processes | per host | CPU (ours + mux) over {elapsed.TotalSeconds:0} s | host facts median / p90 | `true` median / p90 |");
Console.WriteLine($"| {transport} | {hosts} | {up} | {facts.Count} ({failures}) | {rssBefore / 1024.0:0} → {rssAfter / 1024.0:0} MB | {muxRss / 1024.0:0} MB | {(rssAfter - rssBefore + muxRss) / (double)hosts:0} KB | {cpu:0.0} + {muxCpu:0.0} s | {Pct(facts, 50):0} / {Pct(facts, 90):0} ms | {Pct(trivial, 50):0.0} / {Pct(trivial, 90):0.0} ms |");

await services.DisposeAsync();
if (Directory.Exists(controlDir))
{
    Directory.Delete(controlDir, recursive: true);
}

return up == hosts && failures == 0 ? 0 : 1;

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static double Pct(List<double> xs, int p)
{
    var sorted = xs.Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, sorted.Count * p / 100)];
}

// KB
static long Rss(int pid) =>
    File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
        .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).FirstOrDefault();

// Seconds of CPU; with children, also those it waited for (every short-lived ssh client).
static double Cpu(int pid, bool withChildren)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    var ticks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
    if (withChildren)
    {
        ticks += long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
    }

    return ticks / 100.0;
}
