using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Wrangler.Lab;

/// <summary>
/// A real local Buildbot fleet on 127.0.0.1: masters and workers from Debian's packages, Mercurial
/// upstreams with production branches cloned into each basedir, and an sshd with its own keys.
/// </summary>
public sealed class LabFleet : IAsyncDisposable
{
    public const string BuildbotBin = "/usr/bin/buildbot";
    public const string PythonBin = "/usr/bin/python3";
    public const string HgBin = "/usr/bin/hg";
    public const string HgUser = "lab <lab@example.invalid>";

    private static readonly string[] TwistdArgs =
        ["-c", "from twisted.scripts import twistd; twistd.run()", "--no_save", "--logfile=twistd.log", "--python=buildbot.tac"];

    private readonly object stateGate = new();
    private readonly SemaphoreSlim upstreamGate = new(1, 1);
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly Action<string> log;
    private bool wholeLoopback;
    private LabStateFile state;
    private int disposed;

    private LabFleet(string root, LabStateFile state, IReadOnlyList<LabMaster> masters, LabSsh ssh, Action<string> log)
    {
        Root = root;
        this.state = state;
        Masters = masters;
        Ssh = ssh;
        this.log = log;
    }

    public string Root { get; }

    public IReadOnlyList<LabMaster> Masters { get; }

    public LabSsh Ssh { get; private set; }

    public string InventoryPath => Path.Combine(Root, "inventory.json");

    public string SettingsPath => Path.Combine(Root, "wrangler.settings.json");

    /// <summary>The settings file as command-line overrides (<c>--Wrangler:Ssh:User=root</c>, …), the way a person would pass them.</summary>
    public IReadOnlyList<string> SettingsArgs
    {
        get
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(SettingsPath));
            return [.. Flatten(doc.RootElement, "").Select(kv => $"--{kv.Key}={kv.Value}")];
        }
    }

    private static IEnumerable<(string Key, string Value)> Flatten(JsonElement e, string prefix) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}:{p.Name}")),
        JsonValueKind.Array => e.EnumerateArray().SelectMany((x, i) => Flatten(x, string.Create(CultureInfo.InvariantCulture, $"{prefix}:{i}"))),
        _ => [(prefix, e.ToString())],
    };

    /// <summary>Wall-clock time StartAsync took, from the first check to all workers connected.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Every process the lab has started and not yet stopped.</summary>
    public IReadOnlyList<LabPid> Pids
    {
        get
        {
            lock (stateGate)
            {
                return state.Pids.ToList();
            }
        }
    }

    public HttpClient Http => http;

    /// <summary>The real Nagios 4 of a lab started <see cref="LabOptions.WithNagios"/>; its hosts are the master names.</summary>
    public LabNagios? Nagios { get; private set; }

    /// <summary>The allocator (and webhook) stand-in of a lab started <see cref="LabOptions.WithAllocator"/>.</summary>
    public LabAllocator? Allocator { get; private set; }

    /// <summary>The upstream repository of "buildbotcustom", "buildbot-configs" or "tools".</summary>
    public string UpstreamDir(string repo) => Path.Combine(Root, "upstream", LabRepos.Check(repo));

    public LabMaster Master(string name) => Masters.Single(m => m.Name == name);

    public static async Task<LabFleet> StartAsync(LabOptions options, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        var sink = options.Log ?? (_ => { });
        void log(string line) => sink($"[{sw.Elapsed.TotalSeconds,5:0.0}s] {line}");
        LabPrerequisites.EnsureInstalled(options.WithNagios ? [.. LabPrerequisites.All, LabPrerequisites.Nagios] : LabPrerequisites.All);
        var swept = await LabSweeper.SweepStaleAsync().ConfigureAwait(false);
        foreach (var s in swept)
        {
            log($"swept stale lab {s}");
        }

        var root = options.Root is null
            ? Directory.CreateTempSubdirectory(LabSweeper.TempPrefix).FullName
            : PrepareRoot(Path.GetFullPath(options.Root));

        var initial = new LabStateFile(
            root,
            options.Persistent ? null : Environment.ProcessId,
            options.Persistent ? null : LabProcess.StartTime(Environment.ProcessId),
            options.Persistent,
            []);
        initial.Write();

        // The start-up budget counts from when this lab may start, not while another one is starting. Ports are
        // picked after the wait: picked before it, another lab or app took one meanwhile and sshd never came up.
        var queued = Stopwatch.StartNew();
        using var gate = await LabStartGate.EnterAsync(options.StartTimeout * 3, ct).ConfigureAwait(false);
        if (queued.Elapsed > TimeSpan.FromSeconds(1))
        {
            log($"waited {queued.Elapsed.TotalSeconds:0.0} s for another lab to finish starting");
        }

        var specs = options.ResolveSpecs();
        var ports = LoopbackPorts.Next(specs.Count * 2 + 1);
        var masters = specs.Select((s, i) =>
        {
            var basedir = Path.Combine(root, "masters", s.Name);
            var workers = Enumerable.Range(1, options.WorkersPerMaster)
                .Select(w => new LabWorker($"{s.Name}-w{w}", Path.Combine(root, "workers", $"{s.Name}-w{w}")))
                .ToList();
            return new LabMaster(s.Name, s.Role, s.Datacentre, basedir, Path.Combine(basedir, "master"), ports[2 * i], ports[2 * i + 1], workers);
        }).ToList();

        var sshDir = Path.Combine(root, "ssh");
        var ssh = new LabSsh("127.0.0.1", ports[^1], Environment.UserName, Path.Combine(sshDir, "id_ed25519"),
            Path.Combine(sshDir, "known_hosts"), 0, Path.Combine(sshDir, "control"));
        var fleet = new LabFleet(root, initial, masters, ssh, log) { wholeLoopback = options.SshOnWholeLoopback };


        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.StartTimeout);
        // Nagios needs nothing from the fleet but the master names, so it starts alongside it.
        var nagiosTask = options.WithNagios
            ? LabNagios.StartInAsync(Path.Combine(root, "nagios"), [.. masters.Select(m => m.Name)], fleet.Record, null, timeout.Token)
            : null;
        try
        {
            if (options.WithAllocator)
            {
                fleet.Allocator = await LabAllocator.StartAsync(timeout.Token).ConfigureAwait(false);
                log($"allocator stand-in at {fleet.Allocator.Url}");
            }

            fleet.Ssh = await fleet.BringUpAsync(timeout.Token).ConfigureAwait(false);
            if (nagiosTask is not null)
            {
                fleet.Nagios = await nagiosTask.ConfigureAwait(false);
                log($"nagios4 pid {fleet.Nagios.Pid}, command file {fleet.Nagios.CommandFile} (up in {fleet.Nagios.StartupTime.TotalSeconds:0.0} s)");
            }

            fleet.WriteInventory();
            fleet.StartupTime = sw.Elapsed;
            log($"lab up in {sw.Elapsed.TotalSeconds:0.0} s");
            return fleet;
        }
        catch
        {
            if (nagiosTask is not null)
            {
                // Let it finish recording its pid (or failing) so teardown does not miss the daemon.
                await Task.WhenAny(nagiosTask).ConfigureAwait(false);
            }

            await fleet.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Forces the `sleep` builder with a build that runs until <see cref="HeldBuild.Release"/> (or disposal) removes
    /// its hold file, so a test that needs a master busy at some moment holds it busy, whatever the machine's load,
    /// instead of betting on a duration. The build succeeds when released and fails after
    /// <see cref="LabFiles.HoldCapSeconds"/> if never released.
    /// </summary>
    public async Task<HeldBuild> HoldBuildAsync(LabMaster m, CancellationToken ct = default)
    {
        var dir = Directory.CreateDirectory(Path.Combine(Root, "holds")).FullName;
        var file = Path.Combine(dir, $"{m.Name}-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(file, "remove me to release the build\n", ct).ConfigureAwait(false);
        try
        {
            var request = await ForceAsync(m, "sleep", new { secs = "1", hold = file, reason = "lab: held", username = HgUser }, ct).ConfigureAwait(false);
            return new HeldBuild(m, request, file);
        }
        catch
        {
            File.Delete(file);
            throw;
        }
    }

    /// <summary>Forces the `sleep` builder for <paramref name="seconds"/>; returns the build request id.</summary>
    public Task<int> ForceBuildAsync(LabMaster m, int seconds, CancellationToken ct = default) =>
        ForceBuildAsync(m, seconds, "sleep", ct);

    /// <summary>
    /// Forces <paramref name="builder"/> through its "{builder}-force" scheduler (JSON-RPC over REST).
    /// Returns the build request id (not the buildset id), which is what <see cref="WaitForBuildAsync"/> takes.
    /// </summary>
    public Task<int> ForceBuildAsync(LabMaster m, int seconds, string builder, CancellationToken ct = default) =>
        ForceBuildAsync(m, seconds, builder, null, ct);

    /// <summary>
    /// Forces a build that keeps running while the file <paramref name="holdFile"/> exists (create the file first,
    /// remove it to let the build finish with success); without one it sleeps <paramref name="seconds"/>.
    /// </summary>
    public Task<int> ForceBuildAsync(LabMaster m, int seconds, string builder, string? holdFile, CancellationToken ct = default) =>
        ForceAsync(m, builder, new { secs = seconds.ToString(CultureInfo.InvariantCulture), hold = holdFile ?? "", reason = "lab", username = HgUser }, ct);

    private async Task<int> ForceAsync(LabMaster m, string builder, object parameters, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(new
        {
            jsonrpc = "2.0",
            method = "force",
            id = 1,
            @params = parameters,
        });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var resp = await http.PostAsync($"{m.ApiUrl}/forceschedulers/{Uri.EscapeDataString(builder + "-force")}", content, ct).ConfigureAwait(false);
        var text = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!resp.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"force {builder} on {m.Name} failed: {(int)resp.StatusCode} {text}");
        }

        // {"result": [buildsetid, {"<builderid>": buildrequestid}]}
        using var doc = JsonDocument.Parse(text);
        var result = doc.RootElement.GetProperty("result");
        return result[1].EnumerateObject().First().Value.GetInt32();
    }

    /// <summary>Waits until the build of a request completes and returns its `results` code (0 = success).</summary>
    public async Task<int> WaitForBuildAsync(LabMaster m, int buildRequestId, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            using var doc = await GetJsonAsync(m, $"builds?buildrequestid={buildRequestId}", ct).ConfigureAwait(false);
            foreach (var b in doc.RootElement.GetProperty("builds").EnumerateArray())
            {
                if (b.GetProperty("complete").GetBoolean())
                {
                    return b.GetProperty("results").GetInt32();
                }
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        throw new TimeoutException($"build request {buildRequestId} on {m.Name} did not complete within {timeout}");
    }

    /// <summary>GET {ApiUrl}/{path} as JSON.</summary>
    public async Task<JsonDocument> GetJsonAsync(LabMaster m, string path, CancellationToken ct = default)
    {
        using var resp = await http.GetAsync($"{m.ApiUrl}/{path}", ct).ConfigureAwait(false);
        var text = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return resp.IsSuccessStatusCode
            ? JsonDocument.Parse(text)
            : throw new HttpRequestException($"GET {m.ApiUrl}/{path}: {(int)resp.StatusCode} {text}", null, resp.StatusCode);
    }

    /// <summary>Commits <paramref name="content"/> at <paramref name="relativePath"/> on the production branch upstream.</summary>
    public async Task CommitUpstreamAsync(string repo, string relativePath, string content, string message, CancellationToken ct = default)
    {
        var dir = UpstreamDir(repo);
        await upstreamGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var file = Path.GetFullPath(Path.Combine(dir, relativePath));
            if (!file.StartsWith(dir + "/", StringComparison.Ordinal))
            {
                throw new ArgumentException($"{relativePath} is outside the repository", nameof(relativePath));
            }

            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, content, ct).ConfigureAwait(false);
            var r = await LabProcess.RunAsync(HgBin, ["--config", "ui.username=" + HgUser, "commit", "-A", "-m", message], dir, ct: ct).ConfigureAwait(false);
            if (r.ExitCode != 0 && !r.StdOut.Contains("nothing changed", StringComparison.Ordinal))
            {
                throw new LabCommandException(r);
            }
        }
        finally
        {
            upstreamGate.Release();
        }
    }

    /// <summary>The revision (short hash) at the production branch tip upstream.</summary>
    public async Task<string> UpstreamTipAsync(string repo, CancellationToken ct = default)
    {
        var r = await LabProcess.RunCheckedAsync(HgBin, ["id", "-i", "-r", LabRepos.Branch(repo)], UpstreamDir(repo), ct: ct).ConfigureAwait(false);
        return r.StdOut.Trim();
    }

    /// <summary>`hg pull -u` the master's checkout to the tip of its production branch.</summary>
    public Task PullAsync(LabMaster m, string repo, CancellationToken ct = default) =>
        LabProcess.RunCheckedAsync(HgBin, ["pull", "-q", "-u", "-r", LabRepos.Branch(repo)], m.RepoDir(repo), ct: ct);

    /// <summary>`buildbot reconfig`; throws with its output if the master rejected the new config.</summary>
    public Task<string> ReconfigAsync(LabMaster m) => RunAsync(BuildbotBin, "reconfig", m.MasterDir);

    /// <summary>`buildbot checkconfig`, returning the result whether it passed or not.</summary>
    public Task<LabCommandResult> CheckConfigAsync(LabMaster m, CancellationToken ct = default) =>
        LabProcess.RunAsync(BuildbotBin, ["checkconfig", m.MasterDir], m.MasterDir, ct: ct);

    /// <summary>Stops a master behind Wrangler's back: SIGTERM to its twistd.pid, SIGKILL after 15 s.</summary>
    public async Task StopMasterAsync(LabMaster m)
    {
        var pid = ReadPid(m.TwistdPidFile);
        if (pid is int p && LabProcess.IsAlive(p) && LabProcess.BelongsTo(p, Root))
        {
            await LabProcess.StopAllAsync([p], TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            Forget(p);
        }
    }

    /// <summary>Starts a stopped master directly and waits until REST answers and its workers reconnected.</summary>
    public async Task StartMasterAsync(LabMaster m)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await LaunchTwistdAsync(m.MasterDir, "master", m.Name, cts.Token).ConfigureAwait(false);
        await WaitForMasterAsync(m, cts.Token).ConfigureAwait(false);
        await WaitForWorkersAsync(m, cts.Token).ConfigureAwait(false);
    }

    /// <summary>Stops a worker process behind Wrangler's back: SIGTERM to its twistd.pid (SIGKILL after 15 s).</summary>
    public async Task StopWorkerAsync(LabWorker w)
    {
        var pid = ReadPid(Path.Combine(w.Dir, "twistd.pid"));
        if (pid is int p && LabProcess.IsAlive(p) && LabProcess.BelongsTo(p, Root))
        {
            await LabProcess.StopAllAsync([p], TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            Forget(p);
        }
    }

    /// <summary>Whether the worker's process is running (a graceful shutdown or kill ends it).</summary>
    public bool WorkerRunning(LabWorker w) =>
        ReadPid(Path.Combine(w.Dir, "twistd.pid")) is int p && LabProcess.IsAlive(p) && LabProcess.BelongsTo(p, Root);

    /// <summary>Starts a stopped worker again (as `buildbot-worker start` would) and waits until its master lists it connected.</summary>
    public async Task StartWorkerAsync(LabWorker w, CancellationToken ct = default)
    {
        var m = Masters.Single(x => x.Workers.Contains(w));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        File.Delete(Path.Combine(w.Dir, "twistd.pid"));
        await LaunchTwistdAsync(w.Dir, "worker", w.Name, cts.Token).ConfigureAwait(false);
        await WaitForWorkersAsync(m, cts.Token).ConfigureAwait(false);
    }

    /// <summary>Runs a local command (argv, no shell); throws with its stderr unless it exits 0. Returns stdout.</summary>
    public async Task<string> RunAsync(string file, params string[] args)
    {
        var r = await LabProcess.RunCheckedAsync(file, args).ConfigureAwait(false);
        return r.StdOut;
    }

    /// <summary>Runs a command on the lab host over ssh, with Wrangler's strict options.</summary>
    public async Task<LabCommandResult> SshAsync(string remoteCommand, bool multiplexed = false, string? knownHostsFile = null, CancellationToken ct = default)
    {
        var r = await LabProcess.RunAsync(LabSsh.SshBin, Ssh.Args(remoteCommand, multiplexed, knownHostsFile), ct: ct).ConfigureAwait(false);
        if (multiplexed && !Pids.Any(p => p.Kind == "ssh-mux" && LabProcess.IsAlive(p.Pid)))
        {
            await RecordMuxMasterAsync().ConfigureAwait(false);
        }

        return r;
    }

    /// <summary>Waits until every worker of <paramref name="m"/> shows a non-empty connected_to.</summary>
    public async Task WaitForWorkersAsync(LabMaster m, CancellationToken ct = default)
    {
        var expected = m.Workers.Select(w => w.Name).ToHashSet();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                using var doc = await GetJsonAsync(m, "workers?field=name&field=connected_to", ct).ConfigureAwait(false);
                var connected = doc.RootElement.GetProperty("workers").EnumerateArray()
                    .Where(w => w.GetProperty("connected_to").GetArrayLength() > 0)
                    .Select(w => w.GetProperty("name").GetString())
                    .ToHashSet();
                if (expected.IsSubsetOf(connected!))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // The master is still coming up.
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        var sw = Stopwatch.StartNew();
        LabStateFile snapshot;
        lock (stateGate)
        {
            snapshot = state;
        }

        await LabSweeper.StopProcessesAsync(Root, snapshot).ConfigureAwait(false);
        if (Allocator is not null)
        {
            await Allocator.DisposeAsync().ConfigureAwait(false);
        }

        http.Dispose();
        upstreamGate.Dispose();
        // Safe for a caller-chosen Root too: PrepareRoot refused any directory that was not a lab's.
        LabSweeper.TryDelete(Root);

        log($"lab down in {sw.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Stops the lab recorded in <paramref name="root"/> (the CLI's `down`), by its recorded pids.</summary>
    public static async Task<bool> DownAsync(string root)
    {
        root = Path.GetFullPath(root);
        var st = LabStateFile.TryRead(root);
        if (st is null)
        {
            return false;
        }

        await LabSweeper.StopProcessesAsync(root, st).ConfigureAwait(false);
        LabSweeper.TryDelete(root);
        return true;
    }

    private async Task<LabSsh> BringUpAsync(CancellationToken ct)
    {
        var stub = Path.Combine(Root, "www-stub");
        LabFiles.WriteWwwStub(stub);

        // sshd starts while the repos are copied from the process's template (LabTemplate.cs).
        var sshTask = StartSshdAsync(ct);
        var template = await LabTemplate.GetAsync(ct).ConfigureAwait(false);
        var reposTask = CopyUpstreamsAndClonesAsync(template, ct);
        foreach (var m in Masters)
        {
            Directory.CreateDirectory(m.MasterDir);
            File.WriteAllText(Path.Combine(m.MasterDir, "master.cfg"), LabFiles.MasterCfg(m));
            File.WriteAllText(Path.Combine(m.MasterDir, "buildbot.tac"), LabFiles.MasterTac(stub));
            foreach (var w in m.Workers)
            {
                Directory.CreateDirectory(Path.Combine(w.Dir, "info"));
                File.WriteAllText(Path.Combine(w.Dir, "buildbot.tac"), LabFiles.WorkerTac(w, m.PbPort));
                File.WriteAllText(Path.Combine(w.Dir, "info", "admin"), "Wrangler lab <lab@example.invalid>\n");
                File.WriteAllText(Path.Combine(w.Dir, "info", "host"), $"lab worker of {m.Name}\n");
            }
        }

        // create-master only initialises the schema; every master gets a copy instead of its own python run.
        foreach (var m in Masters)
        {
            File.Copy(LabTemplate.Database(template), Path.Combine(m.MasterDir, "state.sqlite"));
        }

        await reposTask.ConfigureAwait(false);
        log("repositories cloned; starting masters");
        await Task.WhenAll(Masters.Select(m => StartMasterAndWorkersAsync(m, ct))).ConfigureAwait(false);
        return await sshTask.ConfigureAwait(false);
    }

    private async Task StartMasterAndWorkersAsync(LabMaster m, CancellationToken ct)
    {
        await LaunchTwistdAsync(m.MasterDir, "master", m.Name, ct).ConfigureAwait(false);

        // A worker started before the PB port listens waits out a retry back-off; start them when it does.
        while (!await PortAcceptsAsync(m.PbPort).ConfigureAwait(false))
        {
            ThrowIfStartupFailed(m);
            await Task.Delay(50, ct).ConfigureAwait(false);
        }

        await Task.WhenAll(m.Workers.Select(w => LaunchTwistdAsync(w.Dir, "worker", w.Name, ct))).ConfigureAwait(false);
        await WaitForMasterAsync(m, ct).ConfigureAwait(false);
        await WaitForWorkersAsync(m, ct).ConfigureAwait(false);
        log($"{m.Name} running at {m.ApiUrl} with {m.Workers.Count} worker(s)");
    }

    private async Task WaitForMasterAsync(LabMaster m, CancellationToken ct)
    {
        while (true)
        {
            ThrowIfStartupFailed(m);
            try
            {
                using var resp = await http.GetAsync($"{m.ApiUrl}/masters", ct).ConfigureAwait(false);
                if (resp.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private static void ThrowIfStartupFailed(LabMaster m)
    {
        if (!File.Exists(m.TwistdLog))
        {
            return;
        }

        string text;
        using (var fs = new FileStream(m.TwistdLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(fs))
        {
            text = reader.ReadToEnd();
        }

        var lastStart = text.LastIndexOf("Loading buildbot.tac", StringComparison.Ordinal);
        if (text.IndexOf("BuildMaster startup failed", Math.Max(lastStart, 0), StringComparison.Ordinal) >= 0)
        {
            var tail = string.Join('\n', text.Split('\n').TakeLast(25));
            throw new InvalidOperationException($"master {m.Name} failed to start; end of {m.TwistdLog}:\n{tail}");
        }
    }

    /// <summary>
    /// Runs twistd the way `buildbot start` / `buildbot-worker start` do, minus their own python
    /// start-up and log following: the parent returns once the daemon has forked.
    /// </summary>
    private async Task LaunchTwistdAsync(string dir, string kind, string name, CancellationToken ct)
    {
        var pidFile = Path.Combine(dir, "twistd.pid");
        await LabProcess.RunCheckedAsync(PythonBin, TwistdArgs, dir, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        var sw = Stopwatch.StartNew();
        int? pid;
        while ((pid = ReadPid(pidFile)) is null && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, ct).ConfigureAwait(false);
        }

        Record(new LabPid(pid ?? throw new InvalidOperationException($"{kind} {name} wrote no {pidFile}; see {Path.Combine(dir, "twistd.log")}"), kind, name));
    }

    private async Task CopyUpstreamsAndClonesAsync(string template, CancellationToken ct)
    {
        await Task.WhenAll(LabRepos.All.Select(r => LabTemplate.CopyAsync(LabTemplate.Upstream(template, r), UpstreamDir(r), ct))).ConfigureAwait(false);
        var clones = from m in Masters
                     from r in LabRepos.All
                     select LabTemplate.CloneAsync(template, r, UpstreamDir(r), m.RepoDir(r), ct);
        await Task.WhenAll(clones).ConfigureAwait(false);
    }

    private async Task<LabSsh> StartSshdAsync(CancellationToken ct)
    {
        var dir = Path.Combine(Root, "ssh");
        Directory.CreateDirectory(Ssh.ControlDir);
        var hostKey = Path.Combine(dir, "ssh_host_ed25519_key");
        await Task.WhenAll(
            LabProcess.RunCheckedAsync("/usr/bin/ssh-keygen", ["-q", "-N", "", "-t", "ed25519", "-C", "wrangler-lab-host", "-f", hostKey], dir, ct: ct),
            LabProcess.RunCheckedAsync("/usr/bin/ssh-keygen", ["-q", "-N", "", "-t", "ed25519", "-C", "wrangler-lab-user", "-f", Ssh.IdentityFile], dir, ct: ct)).ConfigureAwait(false);
        File.Copy(Ssh.IdentityFile + ".pub", Path.Combine(dir, "authorized_keys"));
        var hostPub = string.Join(' ', File.ReadAllText(hostKey + ".pub").Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2));
        var loopback = wholeLoopback ? $"[127.*]:{Ssh.Port} {hostPub}\n" : "";
        File.WriteAllText(Ssh.KnownHostsFile, $"[127.0.0.1]:{Ssh.Port} {hostPub}\n[localhost]:{Ssh.Port} {hostPub}\n{loopback}");
        var config = Path.Combine(dir, "sshd_config");
        File.WriteAllText(config, LabFiles.SshdConfig(Ssh.Port, dir, wholeLoopback));

        // sshd refuses to start without its privilege-separation directory.
        Directory.CreateDirectory("/run/sshd");
        await LabProcess.RunCheckedAsync("/usr/sbin/sshd", ["-f", config, "-E", Path.Combine(dir, "sshd.log")], dir, ct: ct).ConfigureAwait(false);
        var pidFile = Path.Combine(dir, "sshd.pid");
        int? pid;
        var waited = Stopwatch.StartNew();
        while ((pid = ReadPid(pidFile)) is null || !await PortAcceptsAsync(Ssh.Port).ConfigureAwait(false))
        {
            // sshd daemonises before it binds: a port someone else holds shows only in its log.
            var sshdLog = Path.Combine(dir, "sshd.log");
            if (waited.Elapsed > TimeSpan.FromSeconds(5) && File.Exists(sshdLog) && File.ReadAllText(sshdLog) is var text
                && (text.Contains("Address already in use", StringComparison.Ordinal) || text.Contains("Cannot bind any address", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException($"lab sshd could not listen on port {Ssh.Port}: {text.Trim()}");
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }

        Record(new LabPid(pid.Value, "sshd", "sshd"));
        var withPid = Ssh with { SshdPid = pid.Value };
        var probe = await LabProcess.RunAsync(LabSsh.SshBin, withPid.Args("true"), ct: ct).ConfigureAwait(false);
        if (probe.ExitCode != 0)
        {
            throw new InvalidOperationException($"lab sshd on port {Ssh.Port} refused the lab key: {probe.StdErr.Trim()} (see {Path.Combine(dir, "sshd.log")})");
        }

        log($"sshd on 127.0.0.1:{Ssh.Port} (pid {pid})");
        return withPid;
    }

    // The ControlPersist master outlives the command that opened it; record it so teardown stops it.
    private async Task RecordMuxMasterAsync()
    {
        var check = await LabProcess.RunAsync(LabSsh.SshBin, ["-O", "check", .. Ssh.Args("true", multiplexed: true)]).ConfigureAwait(false);
        var text = check.StdErr + check.StdOut;
        var at = text.IndexOf("pid=", StringComparison.Ordinal);
        if (at >= 0 && int.TryParse(new string(text[(at + 4)..].TakeWhile(char.IsDigit).ToArray()), out var pid))
        {
            lock (stateGate)
            {
                if (state.Pids.Any(p => p.Pid == pid))
                {
                    return;
                }
            }

            Record(new LabPid(pid, "ssh-mux", "ControlMaster"));
        }
    }

    /// <summary>The lab's stand-in for a host's reboot command (<see cref="LabFiles.RebootScript"/>); every master's reboot_command runs it.</summary>
    public string RebootScript => Path.Combine(Root, "bin", "lab-reboot");

    private void WriteInventory()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(RebootScript)!);
        File.WriteAllText(RebootScript, LabFiles.RebootScript);
        var entries = Masters.Select(m => new InventoryEntry(
            m.Name, "127.0.0.1", true, "lab", m.Role, m.Datacentre, m.Basedir, m.MasterDir, m.HttpPort, m.PbPort,
            BuildbotBin, "127.0.0.1",
            m.RepoDir(LabRepos.BuildbotCustom), LabRepos.Branch(LabRepos.BuildbotCustom),
            m.RepoDir(LabRepos.BuildbotConfigs), LabRepos.Branch(LabRepos.BuildbotConfigs),
            m.RepoDir(LabRepos.Tools), LabRepos.Branch(LabRepos.Tools),
            Ssh.User, Ssh.Port, m.ApiUrl, ["/bin/sh", RebootScript, m.MasterDir, Root])).ToList();
        var json = new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        File.WriteAllText(InventoryPath, JsonSerializer.Serialize(entries, json) + "\n");

        var settings = new Dictionary<string, object>
        {
            ["Wrangler"] = new Dictionary<string, object>
            {
                ["Inventory"] = InventoryPath,
                ["Ssh"] = new Dictionary<string, string>
                {
                    ["User"] = Ssh.User,
                    ["IdentityFile"] = Ssh.IdentityFile,
                    ["KnownHostsFile"] = Ssh.KnownHostsFile,
                },
                ["Repos"] = LabRepos.All.ToDictionary(r => r, r => new Dictionary<string, string> { ["Upstream"] = UpstreamDir(r) }),
            },
        };
        var wrangler = (Dictionary<string, object>)settings["Wrangler"];
        if (Nagios is not null)
        {
            // Every lab master's hostname is 127.0.0.1, so Nagios knows them by master name.
            wrangler["Nagios"] = new Dictionary<string, string> { ["CommandFile"] = Nagios.CommandFile, ["StatusFile"] = Nagios.StatusFile, ["HostName"] = "{name}" };
        }

        if (Allocator is not null)
        {
            wrangler["Allocator"] = new Dictionary<string, string> { ["Url"] = Allocator.Url };
            wrangler["Notifications"] = new Dictionary<string, string> { ["WebhookUrl"] = Allocator.WebhookUrl };
        }

        File.WriteAllText(SettingsPath, JsonSerializer.Serialize(settings, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private void Record(LabPid pid)
    {
        lock (stateGate)
        {
            state = state with { Pids = [.. state.Pids.Where(p => !(p.Kind == pid.Kind && p.Name == pid.Name)), pid] };
            state.Write();
        }
    }

    private void Forget(int pid)
    {
        lock (stateGate)
        {
            state = state with { Pids = [.. state.Pids.Where(p => p.Pid != pid)] };
            state.Write();
        }
    }

    private static int? ReadPid(string path)
    {
        try
        {
            return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<bool> PortAcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string PrepareRoot(string root)
    {
        var existing = LabStateFile.TryRead(root);
        if (existing is not null)
        {
            var alive = existing.Pids.Where(p => LabProcess.IsAlive(p.Pid) && LabProcess.BelongsTo(p.Pid, root)).ToList();
            if (alive.Count > 0)
            {
                throw new InvalidOperationException($"a lab is already running in {root} (pids {string.Join(", ", alive.Select(p => p.Pid))}); run `down --root {root}` first");
            }

            LabSweeper.TryDelete(root);
        }
        else if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new InvalidOperationException($"{root} exists and is not a lab directory (no {LabStateFile.FileName}); refusing to use it");
        }

        Directory.CreateDirectory(root);
        return root;
    }

    private sealed record InventoryEntry(
        string Name,
        string Hostname,
        bool Enabled,
        string Environment,
        string Role,
        string Datacentre,
        string Basedir,
        string MasterDir,
        int HttpPort,
        int PbPort,
        string BuildbotBin,
        string IpAddress,
        string BbcustomDir,
        string BbcustomBranch,
        string BbconfigsDir,
        string BbconfigsBranch,
        string ToolsDir,
        string ToolsBranch,
        string SshUser,
        int SshLoginPort,
        string ApiUrl,
        IReadOnlyList<string> RebootCommand);
}
