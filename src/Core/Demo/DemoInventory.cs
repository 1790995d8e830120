using System.Globalization;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Demo;

/// <summary>
/// The demo fleet's inventory, shaped like Mozilla's production-masters.json of the Buildbot 0.8 era: test masters
/// per platform, build and try masters, two scheduler masters sharing a host, in one physical and one cloud datacentre.
/// </summary>
internal static class DemoInventory
{
    public const string Scl3 = "scl3";
    public const string Use1 = "aws-us-east-1";

    /// <summary>Masters whose network flaps now and then, so the UI's unreachable state has something to show.</summary>
    public static readonly IReadOnlySet<string> FlakyMasters = new HashSet<string>(StringComparer.Ordinal) { "bm74-build1", "bm107-tests1-windows" };

    /// <summary>Out of rotation (and stopped) in the demo, as a decommissioned master would be.</summary>
    public const string DisabledMaster = "bm68-tests1-linux32";

    public static readonly (string Name, string Branch)[] RepoBranches =
    [
        (RepoCheckout.BuildbotCustom, "production-0.8"),
        (RepoCheckout.BuildbotConfigs, "production"),
        (RepoCheckout.Tools, "default"),
    ];

    private sealed record Spec(string Name, int HostNumber, MasterRole Role, string Datacentre, string Kind, int HttpPort, int PbPort);

    private static readonly Spec[] Specs =
    [
        new("bm01-tests1-linux32", 1, MasterRole.Tests, Scl3, "linux32", 8201, 9201),
        new("bm02-tests1-linux32", 2, MasterRole.Tests, Scl3, "linux32", 8201, 9201),
        new("bm03-tests1-linux64", 3, MasterRole.Tests, Scl3, "linux64", 8201, 9201),
        new("bm04-tests1-linux64", 4, MasterRole.Tests, Scl3, "linux64", 8201, 9201),
        new("bm103-tests1-macosx", 103, MasterRole.Tests, Scl3, "macosx", 8201, 9201),
        new("bm104-tests1-macosx", 104, MasterRole.Tests, Scl3, "macosx", 8201, 9201),
        new("bm105-tests1-windows", 105, MasterRole.Tests, Scl3, "windows", 8201, 9201),
        new("bm106-tests1-windows", 106, MasterRole.Tests, Scl3, "windows", 8201, 9201),
        new("bm107-tests1-windows", 107, MasterRole.Tests, Scl3, "windows", 8201, 9201),
        new("bm70-build1", 70, MasterRole.Build, Scl3, "build", 8001, 9001),
        new("bm71-build1", 71, MasterRole.Build, Scl3, "build", 8001, 9001),
        new("bm72-build1", 72, MasterRole.Build, Scl3, "build", 8001, 9001),
        new("bm81-try1", 81, MasterRole.Try, Scl3, "try", 8101, 9101),
        new("bm82-try1", 82, MasterRole.Try, Scl3, "try", 8101, 9101),
        new("bm36-build_scheduler", 36, MasterRole.Scheduler, Scl3, "scheduler", 8001, 9001),
        new("bm36-tests_scheduler", 36, MasterRole.Scheduler, Scl3, "scheduler", 8011, 9011),
        new("bm51-tests1-linux64", 51, MasterRole.Tests, Use1, "linux64", 8201, 9201),
        new("bm52-tests1-linux64", 52, MasterRole.Tests, Use1, "linux64", 8201, 9201),
        new("bm53-tests1-linux64", 53, MasterRole.Tests, Use1, "linux64", 8201, 9201),
        new("bm67-tests1-linux32", 67, MasterRole.Tests, Use1, "linux32", 8201, 9201),
        new("bm68-tests1-linux32", 68, MasterRole.Tests, Use1, "linux32", 8201, 9201),
        new("bm113-tests1-windows", 113, MasterRole.Tests, Use1, "windows", 8201, 9201),
        new("bm114-tests1-windows", 114, MasterRole.Tests, Use1, "windows", 8201, 9201),
        new("bm73-build1", 73, MasterRole.Build, Use1, "build", 8001, 9001),
        new("bm74-build1", 74, MasterRole.Build, Use1, "build", 8001, 9001),
        new("bm75-build1", 75, MasterRole.Build, Use1, "build", 8001, 9001),
        new("bm77-try1", 77, MasterRole.Try, Use1, "try", 8101, 9101),
        new("bm78-try1", 78, MasterRole.Try, Use1, "try", 8101, 9101),
    ];

    private static readonly (string Suite, double Minutes)[] TestSuites =
    [
        ("mochitest-1", 18), ("mochitest-2", 16), ("mochitest-3", 17), ("mochitest-4", 15), ("mochitest-5", 14),
        ("mochitest-browser-chrome-1", 28), ("mochitest-browser-chrome-2", 26), ("mochitest-devtools-chrome", 22),
        ("mochitest-other", 12), ("reftest", 24), ("crashtest", 9), ("jsreftest", 11), ("xpcshell", 13),
        ("marionette", 15), ("web-platform-tests-1", 20), ("web-platform-tests-2", 21), ("cppunit", 5), ("jittest", 8),
    ];

    private static readonly (string Suite, double Minutes)[] TalosSuites =
    [
        ("talos tp5o", 35), ("talos chromez", 30), ("talos dromaeojs", 40), ("talos svgr", 25), ("talos other", 20),
    ];

    private static readonly string[] TestBranches = ["mozilla-inbound", "fx-team", "mozilla-central"];

    private static readonly (string Platform, string Kind, string Group, double Minutes)[] BuildKinds =
    [
        ("Linux", "build", "linux", 48), ("Linux x86-64", "build", "linux", 55), ("Linux x86-64", "leak test build", "linux", 70),
        ("Linux x86-64", "pgo-build", "linux", 88), ("Android 4.0 API15+", "build", "linux", 45),
        ("WINNT 5.2", "build", "win", 65), ("WINNT 5.2", "leak test build", "win", 80), ("WINNT 6.1 x86-64", "build", "win", 70),
        ("OS X 10.7", "build", "mac", 60), ("OS X 10.7 64-bit", "leak test build", "mac", 75),
    ];

    /// <summary>The hand-written fleet's size; a larger demo (the benchmark's scale run) repeats it on new hosts.</summary>
    public const int BaseSize = 28;

    /// <summary>Builds the masters with their builders and workers; worker names are unique across the fleet.</summary>
    public static List<SimMaster> Create(int seed, int count = BaseSize)
    {
        if (count < 1 || count > 5000)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a demo fleet has 1 to 5000 masters");
        }

        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        var masters = new List<SimMaster>();
        var workerId = 0;
        for (var i = 0; i < count; i++)
        {
            var spec = Copy(Specs[i % Specs.Length], i / Specs.Length);
            var rng = new Random(unchecked((seed * 397) ^ (i * 7919 + 1)));
            var info = Info(spec);
            var builders = Builders(spec, rng);
            var workers = Workers(spec, builders, rng, counters, ref workerId);
            masters.Add(new SimMaster
            {
                Info = info,
                MasterId = i + 1,
                Rng = rng,
                Flaky = FlakyMasters.Contains(spec.Name),
                Load = 0.7 + rng.NextDouble() * 0.3,
                Builders = builders,
                Workers = workers,
            });
        }

        return masters;
    }

    /// <summary>Round 0 is the hand-written fleet; later rounds are the same shapes on hosts numbered from 1000 up.</summary>
    private static Spec Copy(Spec s, int round)
    {
        if (round == 0)
        {
            return s;
        }

        var host = 1000 * round + s.HostNumber;
        return s with { Name = string.Create(CultureInfo.InvariantCulture, $"bm{host}{s.Name[s.Name.IndexOf('-', StringComparison.Ordinal)..]}"), HostNumber = host };
    }

    private static MasterInfo Info(Spec s)
    {
        var site = s.Datacentre == Scl3 ? "scl3" : "use1";
        var hostname = $"buildbot-master{s.HostNumber:00}.bb.releng.{site}.mozilla.com";
        var instance = s.Name[(s.Name.IndexOf('-', StringComparison.Ordinal) + 1)..];
        var basedir = "/builds/buildbot/" + instance;
        var ipPrefix = s.Datacentre == Scl3 ? "10.26" : "10.134";
        return new MasterInfo
        {
            Name = s.Name,
            Hostname = hostname,
            Enabled = s.Name != DisabledMaster,
            Environment = "production",
            Role = s.Role,
            Datacentre = s.Datacentre,
            Basedir = basedir,
            MasterDir = basedir + "/master",
            HttpPort = s.HttpPort,
            PbPort = s.PbPort,
            BuildbotBin = basedir + "/bin/buildbot",
            IpAddress = string.Create(CultureInfo.InvariantCulture, $"{ipPrefix}.{48 + s.HostNumber / 256}.{s.HostNumber % 256}"),
            SshUser = "cltbld",
            Repos =
            [
                new RepoCheckout(RepoCheckout.BuildbotCustom, basedir + "/buildbotcustom", "production-0.8"),
                new RepoCheckout(RepoCheckout.BuildbotConfigs, basedir + "/buildbot-configs", "production"),
                new RepoCheckout(RepoCheckout.Tools, basedir + "/tools", "default"),
            ],
            ApiUrl = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{hostname}:{s.HttpPort}/api/v2")),
        };
    }

    private static List<SimBuilder> Builders(Spec s, Random rng)
    {
        var list = new List<(string Name, string Group, double Minutes)>();
        switch (s.Kind)
        {
            case "linux32" or "linux64" or "macosx" or "windows":
                var prefix = s.Kind switch
                {
                    "linux32" => "Ubuntu VM 12.04",
                    "linux64" => "Ubuntu VM 12.04 x64",
                    "macosx" => "Rev7 MacOSX Yosemite 10.10.5",
                    _ => s.Datacentre == Scl3 ? "Windows 7 32-bit" : "Windows 7 VM 32-bit",
                };
                // Talos needs real hardware, so only the physical macosx/windows pools run it.
                var suites = s.Kind is "macosx" or "windows" && s.Datacentre == Scl3 ? TestSuites.Take(10).Concat(TalosSuites) : TestSuites;
                foreach (var branch in TestBranches)
                {
                    foreach (var (suite, minutes) in suites)
                    {
                        list.Add(($"{prefix} {branch} opt test {suite}", s.Kind, minutes));
                        if (!suite.StartsWith("talos", StringComparison.Ordinal))
                        {
                            list.Add(($"{prefix} {branch} debug test {suite}", s.Kind, Math.Min(85, minutes * 1.8)));
                        }
                    }
                }

                break;
            case "build":
                foreach (var branch in TestBranches)
                {
                    list.AddRange(BuildKinds.Select(k => ($"{k.Platform} {branch} {k.Kind}", k.Group, k.Minutes)));
                }

                list.Add(("b2g_mozilla-inbound_emulator_dep", "linux", 50));
                break;
            case "try":
                list.AddRange(BuildKinds.Select(k => ($"{k.Platform} try {k.Kind}", k.Group, k.Minutes)));
                break;
        }

        return list.Select((b, i) => new SimBuilder
        {
            Id = i + 1,
            Name = b.Name,
            Group = b.Group,
            MeanMinutes = b.Minutes,
            NextNumber = rng.Next(200, 30000),
        }).ToList();
    }

    private static List<SimWorker> Workers(Spec s, List<SimBuilder> builders, Random rng, Dictionary<string, int> counters, ref int workerId)
    {
        if (builders.Count == 0)
        {
            // Mozilla's scheduler masters only ran schedulers: no builders, no workers.
            return [];
        }

        var count = s.Role switch
        {
            MasterRole.Tests => rng.Next(12, 21),
            MasterRole.Build => rng.Next(8, 15),
            _ => rng.Next(6, 13),
        };
        var groups = builders.GroupBy(b => b.Group).Select(g => (g.Key, Share: (double)g.Count() / builders.Count)).ToList();
        var workers = new List<SimWorker>();
        foreach (var (group, share) in groups)
        {
            var n = Math.Max(1, (int)Math.Round(count * share));
            var prefix = WorkerPrefix(s, group);
            for (var k = 0; k < n; k++)
            {
                var number = counters[prefix] = counters.GetValueOrDefault(prefix, 0) + 1;
                workerId++;
                workers.Add(new SimWorker
                {
                    Id = workerId,
                    Name = prefix + number.ToString("000", CultureInfo.InvariantCulture),
                    Group = group,
                    Ip = string.Create(CultureInfo.InvariantCulture, $"{(s.Datacentre == Scl3 ? "10.26" : "10.134")}.{rng.Next(50, 90)}.{rng.Next(2, 254)}"),
                });
            }
        }

        return workers;
    }

    private static string WorkerPrefix(Spec s, string group)
    {
        var cloud = s.Datacentre != Scl3;
        return (s.Kind, group) switch
        {
            ("linux32", _) => cloud ? "tst-linux32-spot-" : "talos-linux32-ix-",
            ("linux64", _) => cloud ? "tst-linux64-spot-" : "talos-linux64-ix-",
            ("macosx", _) => "t-yosemite-r7-",
            ("windows", _) => cloud ? "t-w732-spot-" : "t-w732-ix-",
            ("build", "linux") => cloud ? "bld-linux64-spot-" : "b-linux64-hp-",
            ("build", "win") => cloud ? "b-2008-spot-" : "b-2008-ix-",
            ("build", _) => "bld-lion-r5-",
            ("try", "linux") => cloud ? "try-linux64-spot-" : "try-linux64-ix-",
            ("try", "win") => cloud ? "y-2008-spot-" : "y-2008-ix-",
            _ => "try-mac-r5-",
        };
    }
}
