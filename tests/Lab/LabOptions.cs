namespace Wrangler.Lab;

/// <summary>What fleet to bring up. Defaults give the 3-master, 2-workers-each lab the integration tests share.</summary>
public sealed record LabOptions
{
    public int Masters { get; init; } = 3;

    public int WorkersPerMaster { get; init; } = 2;

    /// <summary>Null: a fresh /tmp/wrangler-lab-XXXX that is swept if its owner dies.</summary>
    public string? Root { get; init; }

    /// <summary>Names and roles per master; when set, its count wins over <see cref="Masters"/>.</summary>
    public IReadOnlyList<LabMasterSpec>? Specs { get; init; }

    /// <summary>
    /// A persistent lab (the CLI's `up`) outlives the process that made it, so it records no owner
    /// and is never swept as stale; only `down` removes it.
    /// </summary>
    public bool Persistent { get; init; }

    /// <summary>Upper bound for the whole start-up, after which StartAsync fails and cleans up.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Also start a real Nagios 4 (<see cref="LabNagios"/>, one host per master named after the master) and put
    /// <c>Wrangler:Nagios:CommandFile</c> and <c>Wrangler:Nagios:HostName = "{name}"</c> in the settings file.
    /// Off by default: most lab tests do not need it.
    /// </summary>
    public bool WithNagios { get; init; }

    /// <summary>
    /// Also start an in-process <see cref="LabAllocator"/> and put <c>Wrangler:Allocator:Url</c> and
    /// <c>Wrangler:Notifications:WebhookUrl</c> (its /webhook) in the settings file. It lives as long as this process,
    /// so a persistent (`up`) lab's settings would point at nothing once the CLI exits; the CLI does not offer it.
    /// </summary>
    public bool WithAllocator { get; init; }

    /// <summary>
    /// sshd listens on every address but lets only 127.0.0.0/8 log in, and known_hosts trusts its key for any 127.x,
    /// so 127.0.0.2, 127.0.0.3, … are distinct "hosts" with one session each (the scale run in docs/remote.md).
    /// </summary>
    public bool SshOnWholeLoopback { get; init; }

    /// <summary>Optional progress sink (the CLI prints it; tests leave it null).</summary>
    public Action<string>? Log { get; init; }

    internal IReadOnlyList<LabMasterSpec> ResolveSpecs()
    {
        if (Specs is { Count: > 0 })
        {
            return Specs;
        }

        if (Masters < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Masters), Masters, "a lab needs at least one master");
        }

        // Mozilla-style names so bucket rules (name after the first '-') group them the way production does.
        (string Bucket, string Role)[] pattern =
        [
            ("tests1-linux32", "tests"),
            ("tests1-linux32", "tests"),
            ("build1", "build"),
            ("try1", "try"),
            ("build1", "build"),
            ("scheduler1", "scheduler"),
        ];
        return Enumerable.Range(0, Masters)
            .Select(i => pattern[i % pattern.Length])
            .Select((p, i) => new LabMasterSpec($"bm{i + 1:00}-{p.Bucket}", p.Role))
            .ToList();
    }
}

/// <summary>One master of the lab: its inventory name, role (build|try|tests|scheduler) and datacentre.</summary>
public sealed record LabMasterSpec(string Name, string Role, string Datacentre = "lab1");

/// <summary>A worker process attached to one lab master.</summary>
public sealed record LabWorker(string Name, string Dir);

/// <summary>A running lab master and where everything about it lives.</summary>
public sealed record LabMaster(
    string Name,
    string Role,
    string Datacentre,
    string Basedir,
    string MasterDir,
    int HttpPort,
    int PbPort,
    IReadOnlyList<LabWorker> Workers)
{
    public string ApiUrl => $"http://127.0.0.1:{HttpPort}/api/v2";

    public string TwistdPidFile => Path.Combine(MasterDir, "twistd.pid");

    public string TwistdLog => Path.Combine(MasterDir, "twistd.log");

    /// <summary>The checkout of <paramref name="repo"/> inside this master's basedir.</summary>
    public string RepoDir(string repo) => Path.Combine(Basedir, LabRepos.Check(repo));
}

/// <summary>The three Mozilla repositories every master has a checkout of, and their production branches.</summary>
public static class LabRepos
{
    public const string BuildbotCustom = "buildbotcustom";
    public const string BuildbotConfigs = "buildbot-configs";
    public const string Tools = "tools";

    public static IReadOnlyList<string> All { get; } = [BuildbotCustom, BuildbotConfigs, Tools];

    public static string Branch(string repo) => Check(repo) switch
    {
        BuildbotCustom => "production-0.8",
        BuildbotConfigs => "production",
        _ => "default",
    };

    internal static string Check(string repo) =>
        All.Contains(repo) ? repo : throw new ArgumentException($"unknown lab repository '{repo}'; expected one of {string.Join(", ", All)}", nameof(repo));
}

/// <summary>How to reach the lab's sshd; every master is on this one host.</summary>
public sealed record LabSsh(
    string Host,
    int Port,
    string User,
    string IdentityFile,
    string KnownHostsFile,
    int SshdPid,
    string ControlDir)
{
    public const string SshBin = "/usr/bin/ssh";

    /// <summary>
    /// argv (without "ssh") for one remote command with the settings Wrangler must use:
    /// batch mode, strict host key checking against the lab's known_hosts, and optionally a mux.
    /// </summary>
    public IReadOnlyList<string> Args(string remoteCommand, bool multiplexed = false, string? knownHostsFile = null)
    {
        var args = new List<string>
        {
            "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-i", IdentityFile,
            "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=" + (knownHostsFile ?? KnownHostsFile),
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=10",
            "-o", "KexAlgorithms=curve25519-sha256",
            "-F", "/dev/null",
        };
        if (multiplexed)
        {
            args.AddRange(["-o", "ControlMaster=auto", "-o", "ControlPath=" + Path.Combine(ControlDir, "cm-%C"), "-o", "ControlPersist=60"]);
        }

        args.Add($"{User}@{Host}");
        args.Add(remoteCommand);
        return args;
    }
}
