using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wrangler.Lab;

/// <summary>One downtime as Nagios reports it in status.dat.</summary>
public sealed record LabDowntime(
    string Type,
    string HostName,
    string? ServiceDescription,
    int DowntimeId,
    DateTimeOffset Start,
    DateTimeOffset End,
    bool Fixed,
    long DurationSeconds,
    string Author,
    string Comment);

/// <summary>
/// A real Nagios 4 (Debian's nagios4) as a lab process with its own config under the lab root: one host per name
/// (address 127.0.0.1, with one passive "buildbot" service, so service downtimes are visible too), no active checks,
/// external commands on, status.dat rewritten every second. Runs as the current user (root in CI) through
/// nagios_user/nagios_group.
/// </summary>
public sealed class LabNagios : IAsyncDisposable
{
    public const string NagiosBin = "/usr/sbin/nagios4";
    public const string ServiceName = "buildbot";

    private readonly string? ownedRoot;
    private int disposed;

    private LabNagios(string dir, IReadOnlyList<string> hosts, string? ownedRoot)
    {
        Dir = dir;
        Hosts = hosts;
        this.ownedRoot = ownedRoot;
    }

    public string Dir { get; }

    public IReadOnlyList<string> Hosts { get; }

    public string ConfigFile => Path.Combine(Dir, "nagios.cfg");

    /// <summary>The external command FIFO; configure it as <c>Wrangler:Nagios:CommandFile</c>.</summary>
    public string CommandFile => Path.Combine(Dir, "var", "nagios.cmd");

    public string StatusFile => Path.Combine(Dir, "var", "status.dat");

    public string LogFile => Path.Combine(Dir, "var", "nagios.log");

    public string LockFile => Path.Combine(Dir, "var", "nagios.lock");

    public int Pid { get; private set; }

    /// <summary>From starting nagios4 until its command file worker was running.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>
    /// A Nagios on its own, for tests that need no Buildbot: in a fresh /tmp/wrangler-lab-* whose lab-state.json
    /// names this process as owner, so the lab sweeper stops it if the test process dies.
    /// </summary>
    public static async Task<LabNagios> StartAsync(IReadOnlyList<string> hostNames, CancellationToken ct = default)
    {
        LabPrerequisites.EnsureInstalled([LabPrerequisites.Nagios]);
        await LabSweeper.SweepStaleAsync().ConfigureAwait(false);
        var root = Directory.CreateTempSubdirectory(LabSweeper.TempPrefix).FullName;
        var state = new LabStateFile(root, Environment.ProcessId, LabProcess.StartTime(Environment.ProcessId), false, []);
        state.Write();
        try
        {
            return await StartInAsync(Path.Combine(root, "nagios"), hostNames, pid =>
            {
                state = state with { Pids = [.. state.Pids, pid] };
                state.Write();
            }, root, ct).ConfigureAwait(false);
        }
        catch
        {
            await LabSweeper.StopProcessesAsync(root, state).ConfigureAwait(false);
            LabSweeper.TryDelete(root);
            throw;
        }
    }

    /// <summary>Starts Nagios in <paramref name="dir"/>; <paramref name="record"/> receives its pid before this returns.</summary>
    internal static async Task<LabNagios> StartInAsync(string dir, IReadOnlyList<string> hostNames, Action<LabPid> record, string? ownedRoot, CancellationToken ct)
    {
        if (hostNames.Count == 0)
        {
            throw new ArgumentException("Nagios needs at least one host", nameof(hostNames));
        }

        var sw = Stopwatch.StartNew();
        var nagios = new LabNagios(dir, hostNames, ownedRoot);
        Directory.CreateDirectory(Path.Combine(dir, "var"));
        Directory.CreateDirectory(Path.Combine(dir, "spool"));
        File.WriteAllText(nagios.ConfigFile, MainConfig(dir));
        File.WriteAllText(Path.Combine(dir, "objects.cfg"), Objects(hostNames));

        // -d forks the daemon and returns; a bad config makes it exit non-zero with the reason on stdout.
        await LabProcess.RunCheckedAsync(NagiosBin, ["-d", nagios.ConfigFile], dir, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        int? pid = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            pid ??= ReadPid(nagios.LockFile);
            if (pid is int p)
            {
                if (!LabProcess.IsAlive(p))
                {
                    throw new InvalidOperationException($"nagios4 (pid {p}) exited during start-up; end of {nagios.LogFile}:\n{Tail(nagios.LogFile)}");
                }

                // The command file worker is what reads the FIFO; until it runs, commands would wait in the pipe.
                if (File.Exists(nagios.StatusFile) && ReadShared(nagios.LogFile).Contains("Successfully launched command file worker", StringComparison.Ordinal))
                {
                    break;
                }
            }

            if (sw.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"nagios4 did not come up within 30 s; end of {nagios.LogFile}:\n{Tail(nagios.LogFile)}");
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }

        nagios.Pid = pid.Value;
        record(new LabPid(pid.Value, "nagios", "nagios4"));
        nagios.StartupTime = sw.Elapsed;
        return nagios;
    }

    /// <summary>Downtimes in status.dat right now (Nagios rewrites it every second).</summary>
    public async Task<IReadOnlyList<LabDowntime>> DowntimesAsync(CancellationToken ct = default)
    {
        var text = await Task.Run(() => ReadShared(StatusFile), ct).ConfigureAwait(false);
        return ParseDowntimes(text);
    }

    /// <summary>Polls status.dat until <paramref name="condition"/> holds; the timeout message lists what was there.</summary>
    public async Task<IReadOnlyList<LabDowntime>> WaitForDowntimesAsync(Func<IReadOnlyList<LabDowntime>, bool> condition, TimeSpan timeout, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var now = await DowntimesAsync(ct).ConfigureAwait(false);
            if (condition(now))
            {
                return now;
            }

            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"Nagios downtimes did not reach the expected state within {timeout}; now: "
                    + (now.Count == 0 ? "none" : string.Join("; ", now.Select(d => $"{d.Type} {d.HostName}{(d.ServiceDescription is null ? "" : "/" + d.ServiceDescription)} by {d.Author}: {d.Comment}")))
                    + $"; external commands logged: {string.Join(" | ", ExternalCommandsLogged())}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The "EXTERNAL COMMAND:" lines of nagios.log: what Nagios actually read from the command file.</summary>
    public IReadOnlyList<string> ExternalCommandsLogged()
    {
        const string marker = "EXTERNAL COMMAND: ";
        return ReadShared(LogFile).Split('\n')
            .Select(l => l.IndexOf(marker, StringComparison.Ordinal) is var i and >= 0 ? l[(i + marker.Length)..] : null)
            .OfType<string>()
            .ToList();
    }

    public static IReadOnlyList<LabDowntime> ParseDowntimes(string statusDat)
    {
        var result = new List<LabDowntime>();
        Dictionary<string, string>? block = null;
        string? type = null;
        foreach (var raw in statusDat.Split('\n'))
        {
            var line = raw.Trim();
            if (line is "hostdowntime {" or "servicedowntime {")
            {
                type = line.StartsWith("host", StringComparison.Ordinal) ? "host" : "service";
                block = new Dictionary<string, string>(StringComparer.Ordinal);
            }
            else if (block is not null && line == "}")
            {
                string Get(string k) => block.TryGetValue(k, out var v) ? v : "";
                long Num(string k) => long.TryParse(Get(k), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
                result.Add(new LabDowntime(
                    type!,
                    Get("host_name"),
                    block.TryGetValue("service_description", out var svc) ? svc : null,
                    (int)Num("downtime_id"),
                    DateTimeOffset.FromUnixTimeSeconds(Num("start_time")),
                    DateTimeOffset.FromUnixTimeSeconds(Num("end_time")),
                    Get("fixed") == "1",
                    Num("duration"),
                    Get("author"),
                    Get("comment")));
                block = null;
            }
            else if (block is not null && line.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                block[line[..eq]] = line[(eq + 1)..];
            }
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        // Only a standalone Nagios cleans up itself; inside a LabFleet the fleet's teardown stops it by its recorded pid.
        if (ownedRoot is not null)
        {
            await LabSweeper.StopProcessesAsync(ownedRoot, LabStateFile.TryRead(ownedRoot)).ConfigureAwait(false);
            LabSweeper.TryDelete(ownedRoot);
        }
    }

    private static string MainConfig(string dir)
    {
        var v = Path.Combine(dir, "var");
        var user = Environment.UserName;
        return $"""
            # Wrangler lab Nagios: no active checks, no notifications; only external commands and status.dat matter.
            log_file={v}/nagios.log
            cfg_file={dir}/objects.cfg
            object_cache_file={v}/objects.cache
            precached_object_file={v}/objects.precache
            status_file={v}/status.dat
            status_update_interval=1
            nagios_user={user}
            nagios_group={user}
            check_external_commands=1
            command_file={v}/nagios.cmd
            lock_file={v}/nagios.lock
            temp_file={v}/nagios.tmp
            temp_path={v}
            query_socket={v}/nagios.qh
            check_result_path={dir}/spool
            state_retention_file={v}/retention.dat
            retain_state_information=0
            use_syslog=0
            log_external_commands=1
            log_initial_states=0
            log_rotation_method=n
            check_workers=1
            execute_service_checks=0
            execute_host_checks=0
            enable_notifications=0
            enable_event_handlers=0
            enable_flap_detection=0
            check_for_updates=0
            interval_length=60

            """;
    }

    private static string Objects(IReadOnlyList<string> hosts)
    {
        var sb = new StringBuilder("""
            define timeperiod {
                timeperiod_name always
                alias always
                sunday 00:00-24:00
                monday 00:00-24:00
                tuesday 00:00-24:00
                wednesday 00:00-24:00
                thursday 00:00-24:00
                friday 00:00-24:00
                saturday 00:00-24:00
            }
            define command {
                command_name lab-ok
                command_line /bin/true
            }
            define contact {
                contact_name lab
                alias lab
                host_notifications_enabled 0
                service_notifications_enabled 0
                host_notification_period always
                service_notification_period always
                host_notification_options n
                service_notification_options n
                host_notification_commands lab-ok
                service_notification_commands lab-ok
            }

            """);
        foreach (var h in hosts)
        {
            if (h.Any(c => char.IsWhiteSpace(c) || c == ';'))
            {
                throw new ArgumentException($"'{h}' cannot be a Nagios host name", nameof(hosts));
            }

            sb.Append(CultureInfo.InvariantCulture, $$"""
                define host {
                    host_name {{h}}
                    alias {{h}}
                    address 127.0.0.1
                    check_command lab-ok
                    max_check_attempts 1
                    check_period always
                    notification_period always
                    contacts lab
                    active_checks_enabled 0
                }
                define service {
                    host_name {{h}}
                    service_description {{ServiceName}}
                    check_command lab-ok
                    max_check_attempts 1
                    check_interval 1
                    retry_interval 1
                    check_period always
                    notification_period always
                    contacts lab
                    active_checks_enabled 0
                }

                """);
        }

        return sb.ToString();
    }

    private static int? ReadPid(string path)
    {
        var text = ReadShared(path).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
    }

    private static string ReadShared(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(fs);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return "";
        }
    }

    private static string Tail(string path) => string.Join('\n', ReadShared(path).Split('\n').TakeLast(20));
}
