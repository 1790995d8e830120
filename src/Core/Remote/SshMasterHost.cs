using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Remote;

/// <summary><see cref="IMasterHost"/> over ssh: each operation is one fixed script run through <see cref="ISshRunner"/>.</summary>
public sealed partial class SshMasterHost(ISshRunner runner, MasterInfo master, TimeProvider time) : IMasterHost
{
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(30);

    // checkconfig/start load the whole config (~1.5 s on an idle lab master; Mozilla's configs take far longer).
    private static readonly TimeSpan SlowTimeout = TimeSpan.FromSeconds(180);

    public MasterInfo Master => master;

    public SshTarget Target { get; } = new(master.Hostname, master.SshLoginPort, master.SshUser);

    public async Task<HostFacts> GetFactsAsync(int logLines = 20, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(logLines);
        var args = new List<string> { master.MasterDir, logLines.ToString(CultureInfo.InvariantCulture) };
        foreach (var r in master.Repos)
        {
            args.AddRange([r.Name, r.Dir, r.Branch]);
        }

        var result = await RunAsync(RemoteScripts.Argv(RemoteScripts.Facts, args), ShortTimeout, ct).ConfigureAwait(false);
        return ParseFacts(result, master, time.GetUtcNow());
    }

    internal static HostFacts ParseFacts(RemoteResult result, MasterInfo master, DateTimeOffset collectedAt)
    {
        int? pid = null;
        long? hostNow = null;
        long? elapsedSeconds = null;
        TimeSpan? uptime = null;
        var alive = false;
        var locked = false;
        var repos = new Dictionary<string, RepoFacts>();
        var errors = new List<string>();
        var log = new List<string>();
        var inLog = false;

        foreach (var line in result.Stdout.Split('\n'))
        {
            if (inLog)
            {
                log.Add(line);
                continue;
            }

            var (tag, rest) = line.IndexOf(' ', StringComparison.Ordinal) is var i and >= 0 ? (line[..i], line[(i + 1)..]) : (line, "");
            switch (tag)
            {
                case "@@now":
                    hostNow = long.TryParse(rest, CultureInfo.InvariantCulture, out var n) ? n : null;
                    break;
                case "@@uptime":
                    uptime = double.TryParse(rest.Split(' ')[0], CultureInfo.InvariantCulture, out var u) ? TimeSpan.FromSeconds(u) : null;
                    break;
                case "@@pid":
                    pid = int.TryParse(rest, CultureInfo.InvariantCulture, out var p) ? p : null;
                    if (pid is null)
                    {
                        errors.Add($"twistd.pid does not hold a pid ('{rest}')");
                    }

                    break;
                case "@@alive":
                    alive = true;
                    elapsedSeconds = long.TryParse(rest.Trim(), CultureInfo.InvariantCulture, out var e) ? e : null;
                    break;
                case "@@lock":
                    locked = true;
                    break;
                case "@@log":
                    inLog = true;
                    break;
                default:
                    if (line.StartsWith("@@repo\t", StringComparison.Ordinal))
                    {
                        var f = line.Split('\t');
                        var repo = master.Repos.FirstOrDefault(r => r.Name == f[1]);
                        if (repo is null || f.Length < 4)
                        {
                            break;
                        }

                        var words = f[3].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        repos[repo.Name] = f[2] == "0" && words.Length >= 1
                            ? new RepoFacts(repo.Name, repo.Dir, repo.Branch, words[0], words.Length > 1 ? words[1] : null, null)
                            : new RepoFacts(repo.Name, repo.Dir, repo.Branch, null, null, f[3].Trim());
                        if (repos[repo.Name].Error is { } err)
                        {
                            errors.Add($"{repo.Name}: {err}");
                        }
                    }

                    break;
            }
        }

        if (log.Count > 0 && log[^1].Length == 0)
        {
            log.RemoveAt(log.Count - 1);
        }

        if (!inLog)
        {
            errors.Add("the facts script did not finish: " + result.Stderr.Trim());
        }

        if (pid is not null && !alive)
        {
            errors.Add($"twistd.pid names {pid}, which is not running (stale pid file)");
        }

        var orderedRepos = master.Repos
            .Select(r => repos.GetValueOrDefault(r.Name) ?? new RepoFacts(r.Name, r.Dir, r.Branch, null, null, "not reported"))
            .ToList();
        DateTimeOffset? started = hostNow is not null && elapsedSeconds is not null
            ? DateTimeOffset.FromUnixTimeSeconds(hostNow.Value - elapsedSeconds.Value)
            : null;
        return new HostFacts(collectedAt, orderedRepos, pid, alive, started, locked, uptime, log, errors, result.Elapsed);
    }

    public Task<RemoteResult> GracefulStopAsync(Action<string>? output = null, CancellationToken ct = default) =>
        RunAsync(RemoteScripts.Argv(RemoteScripts.Signal, master.MasterDir, "USR1"), ShortTimeout, ct, output);

    public Task<RemoteResult> HardStopAsync(Action<string>? output = null, CancellationToken ct = default) =>
        RunAsync(RemoteScripts.Argv(RemoteScripts.HardStop, master.MasterDir, master.BuildbotBin), TimeSpan.FromSeconds(60), ct, output);

    // `buildbot start` gives up after 10 s without a progress line in twistd.log and exits 1 while the master
    // goes on starting; a loaded host (a fresh-clone CI run at load 40) takes longer than that between lines.
    // Its own wait is set just inside ours so that its verdict, not our kill, is what comes back.
    public Task<RemoteResult> StartAsync(Action<string>? output = null, CancellationToken ct = default) =>
        RunAsync([master.BuildbotBin, "start", "--start_timeout=" + StartWaitSeconds, master.MasterDir], SlowTimeout, ct, output);

    private static readonly string StartWaitSeconds =
        (SlowTimeout - TimeSpan.FromSeconds(15)).TotalSeconds.ToString(CultureInfo.InvariantCulture);

    public async Task<ReconfigResult> ReconfigAsync(TimeSpan? timeout = null, Action<string>? output = null, CancellationToken ct = default)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var seconds = Math.Max(1, (int)Math.Ceiling(limit.TotalSeconds));
        var result = await RunAsync(
            RemoteScripts.Argv(RemoteScripts.Reconfig, master.MasterDir, seconds.ToString(CultureInfo.InvariantCulture)),
            limit + TimeSpan.FromSeconds(15), ct, output).ConfigureAwait(false);

        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        var events = TwistdLogParser.ParseAll(lines, time.GetUtcNow());

        // The log decides, not the exit code: BUILDBOT.md shows the CLI saying 0 when nothing happened.
        var last = events.LastOrDefault(e => e.Kind is MasterLogEventKind.ReconfigComplete or MasterLogEventKind.ReconfigAborted
            or MasterLogEventKind.ReconfigPartiallyApplied);
        var (outcome, message) = last?.Kind switch
        {
            MasterLogEventKind.ReconfigComplete => (ReconfigOutcome.Complete, "configuration update complete"),
            MasterLogEventKind.ReconfigAborted => (ReconfigOutcome.Aborted, "configuration update aborted; the master keeps its previous config: " + FirstError(lines)),
            MasterLogEventKind.ReconfigPartiallyApplied => (ReconfigOutcome.PartiallyApplied, "configuration update partially applied; the master may malfunction: " + FirstError(lines)),
            _ when result.ExitCode == 3 => (ReconfigOutcome.NotRunning, lines.FirstOrDefault()?.Replace("@@notrunning ", "", StringComparison.Ordinal) ?? "master not running"),
            _ => (ReconfigOutcome.TimedOut, $"no reconfig outcome in twistd.log within {seconds} s (exit {result.ExitCode}) {result.Stderr.Trim()}".TrimEnd()),
        };
        return new ReconfigResult(outcome, events, lines, message, result.Elapsed);
    }

    // Buildbot logs a traceback, then the exception line ("builtins.NameError: name 'x' is not defined") or a
    // config error of its own ("builder 'x' uses unknown workers 'y'"); those say what to fix.
    private static string FirstError(List<string> lines)
    {
        static string Message(string line) => TwistdMessage().Match(line) is { Success: true } m ? m.Groups[1].Value : line;
        var specific = lines.LastOrDefault(l => ExceptionLine().IsMatch(Message(l)))
            ?? lines.FirstOrDefault(l => l.Contains("uses unknown", StringComparison.Ordinal) || l.Contains("have no schedulers", StringComparison.Ordinal))
            ?? lines.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase));
        return specific is null ? "see twistd.log" : Message(specific).Trim();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\S* \[[^\]]*\] (.*)$")]
    private static partial System.Text.RegularExpressions.Regex TwistdMessage();

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*[\w.]*(Error|Exception): ")]
    private static partial System.Text.RegularExpressions.Regex ExceptionLine();

    public async Task<ConfigCheckResult> CheckConfigAsync(Action<string>? output = null, CancellationToken ct = default)
    {
        var r = await RunAsync([master.BuildbotBin, "checkconfig", master.MasterDir], SlowTimeout, ct, output).ConfigureAwait(false);
        return new ConfigCheckResult(r.ExitCode == 0 && r.Stdout.Contains("Config file is good!", StringComparison.Ordinal),
            (r.Stdout + r.Stderr).Trim(), r.Elapsed);
    }

    public Task<IReadOnlyList<RepoUpdateResult>> UpdateReposAsync(Action<string>? output = null, CancellationToken ct = default) =>
        RunRepoScriptAsync("update", master.Repos.SelectMany(r => new[] { r.Name, r.Dir, r.Branch }), output, ct);

    public Task<IReadOnlyList<RepoUpdateResult>> RestoreReposAsync(IReadOnlyDictionary<string, string> revisions, Action<string>? output = null, CancellationToken ct = default)
    {
        // Revisions come from our own earlier facts, but they reach a command line: only hex ids pass.
        foreach (var (name, rev) in revisions)
        {
            if (!RevisionPattern().IsMatch(rev.TrimEnd('+')))
            {
                throw new ArgumentException($"'{rev}' is not a revision id (repo {name})", nameof(revisions));
            }
        }

        var args = master.Repos.Where(r => revisions.ContainsKey(r.Name)).SelectMany(r => new[] { r.Name, r.Dir, revisions[r.Name].TrimEnd('+') });
        return RunRepoScriptAsync("restore", args, output, ct);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[0-9a-fA-F]{6,40}$")]
    private static partial System.Text.RegularExpressions.Regex RevisionPattern();

    private async Task<IReadOnlyList<RepoUpdateResult>> RunRepoScriptAsync(string mode, IEnumerable<string> args, Action<string>? sink, CancellationToken ct)
    {
        var r = await runner.RunAsync(Target, RemoteScripts.Argv(RemoteScripts.Repos, [mode, .. args]), SlowTimeout, sink is null ? null : line =>
        {
            // The script's per-repo marker becomes a line a person can read; hg's own lines pass as they are.
            if (line.Text.StartsWith("@@repo\t", StringComparison.Ordinal) && line.Text.Split('\t') is { Length: 5 } f)
            {
                sink(f[2] == "0" ? $"{f[1]}: {Or(f[3])} → {Or(f[4])}" : $"{f[1]}: failed (exit {f[2]}), at {Or(f[4])}");
            }
            else if (!line.Text.StartsWith("@@", StringComparison.Ordinal) && line.Text.Trim().Length > 0)
            {
                sink(line.Text);
            }
        }, ct).ConfigureAwait(false);
        var results = new List<RepoUpdateResult>();
        string[]? head = null;
        var output = new List<string>();
        void Flush()
        {
            if (head is not null)
            {
                var repo = master.Repos.First(x => x.Name == head[1]);
                results.Add(new RepoUpdateResult(repo.Name, repo.Dir, NullIfEmpty(head[3]), NullIfEmpty(head[4]), head[2] == "0",
                    string.Join('\n', output).Trim()));
            }

            output.Clear();
        }

        foreach (var line in r.Stdout.Split('\n'))
        {
            if (line.StartsWith("@@repo\t", StringComparison.Ordinal) && line.Split('\t') is { Length: 5 } f && master.Repos.Any(x => x.Name == f[1]))
            {
                Flush();
                head = f;
            }
            else if (line.Length > 0)
            {
                output.Add(line.StartsWith("  ", StringComparison.Ordinal) ? line[2..] : line);
            }
        }

        Flush();
        return results;
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static string Or(string revision) => revision.Length == 0 ? "?" : revision;

    public Task<RemoteResult> CreateLockAsync(CancellationToken ct = default) =>
        RunAsync(["touch", master.ReconfigLockPath], ShortTimeout, ct);

    public Task<RemoteResult> RemoveLockAsync(CancellationToken ct = default) =>
        RunAsync(["rm", "-f", master.ReconfigLockPath], ShortTimeout, ct);

    public async Task<RemoteResult> RebootAsync(Action<string>? output = null, CancellationToken ct = default)
    {
        var started = time.GetTimestamp();
        try
        {
            return await RunAsync(master.RebootCommand, ShortTimeout, ct, output).ConfigureAwait(false);
        }
        catch (SshException ex) when (ex.Stderr.Contains("closed by remote host", StringComparison.OrdinalIgnoreCase)
                                      || ex.Stderr.Contains("Connection reset", StringComparison.OrdinalIgnoreCase)
                                      || ex.Stderr.Contains("closed by", StringComparison.OrdinalIgnoreCase))
        {
            // The host going down under the command is what a reboot looks like from here.
            return new RemoteResult(0, "", ex.Stderr, time.GetElapsedTime(started));
        }
    }

    public async IAsyncEnumerable<MasterLogEvent> FollowLogAsync(Action? onFollowing = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var channel = Channel.CreateUnbounded<MasterLogEvent>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var signalled = 0;
        var run = Task.Run(async () =>
        {
            try
            {
                await runner.RunAsync(Target, RemoteScripts.Argv(RemoteScripts.Follow, master.TwistdLogPath), Timeout.InfiniteTimeSpan, line =>
                {
                    if (line.Stream == OutputStream.Stdout)
                    {
                        if (TwistdLogParser.Parse(line.Text, time.GetUtcNow()) is { } ev)
                        {
                            channel.Writer.TryWrite(ev);
                        }
                    }
                    else if (line.Text == "@@following" && Interlocked.Exchange(ref signalled, 1) == 0)
                    {
                        onFollowing?.Invoke();
                    }
                }, stop.Token).ConfigureAwait(false);
                channel.Writer.TryComplete(new SshException(SshFailureKind.Other, $"following {master.TwistdLogPath} on {Target} ended unexpectedly", Target.ToString()));
            }
            catch (OperationCanceledException)
            {
                channel.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var ev in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return ev;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
        }
    }

    private Task<RemoteResult> RunAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken ct, Action<string>? output = null) =>
        runner.RunAsync(Target, argv, timeout, output is null ? null : line =>
        {
            // "@@" lines are our scripts' markers, not the command's output.
            if (!line.Text.StartsWith("@@", StringComparison.Ordinal))
            {
                output(line.Text);
            }
        }, ct);
}
