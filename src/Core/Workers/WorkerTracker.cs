using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;
using Wrangler.Core.Leases;
using Wrangler.Core.Persistence;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Workers;

/// <summary>
/// Every worker of every enabled master, live: each master's <c>workers/*/*</c> and <c>builds/*/*</c> event streams
/// (BUILDBOT.md §10), with a REST read on start, after every dropped stream and every poll interval as the fallback.
/// Connection and disconnection times are what Wrangler saw, stored (Buildbot keeps none) and kept across restarts.
/// </summary>
public sealed class WorkerTracker(
    IInventorySource inventory,
    IFleetAccess access,
    IDbContextFactory<WranglerDb> dbs,
    LeaderLease lease,
    IFleetMonitor fleet,
    IOptions<WranglerOptions> wrangler,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<WorkerTracker> logger) : BackgroundService
{
    private static readonly TimeSpan StreamRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StreamsUpPoll = TimeSpan.FromSeconds(60);

    // A stream that was open and closed makes the fleet monitor poll that master now, at most once per this
    // interval: a master's two streams close together when it dies, and a flapping stream must not poll in a loop.
    private static readonly TimeSpan ClosedStreamPollEvery = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private readonly Dictionary<string, Feed> feeds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WorkerRecord> records = new(StringComparer.Ordinal);

    // Worker name to the feeds that list it, kept as the feeds change: a fleet has a thousand masters and ten
    // thousand workers, so no lookup may scan every feed for every worker (docs/performance.md, scale).
    private readonly Dictionary<string, List<Feed>> listedOn = new(StringComparer.Ordinal);
    private readonly HashSet<string> dirty = new(StringComparer.Ordinal);
    private readonly List<WorkerEventRecord> pendingEvents = [];
    private readonly SemaphoreSlim flushSignal = new(0);
    private readonly SemaphoreSlim inventorySignal = new(0);
    private readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Regex? poolPattern = options.Value.PoolPattern is { Length: > 0 } p ? new Regex(p, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) : null;

    /// <summary>Raised (on a pool thread) after anything a page shows may have changed.</summary>
    public event Action? Changed;

    public WorkerOptions Options => options.Value;

    /// <summary>Completes once the stored history is loaded (tests and the API wait on nothing else).</summary>
    public Task Loaded => loaded.Task;

    public IReadOnlyList<WorkerView> List()
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            // Running builds are indexed once here, not searched per worker: a fleet has thousands of both.
            var running = RunningLocked();
            return [.. listedOn.Keys.Order(StringComparer.Ordinal).Select(n => ViewLocked(n, now, running))];
        }
    }

    public WorkerView? Find(string name)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            return listedOn.ContainsKey(name) ? ViewLocked(name, now, RunningLocked()) : null;
        }
    }

    /// <summary>Builds across the fleet: running, and those finished within <see cref="WorkerOptions.BuildHistory"/>, newest first.</summary>
    public IReadOnlyList<BuildRef> Builds(string? master = null, string? builder = null, int? number = null, string? worker = null, bool? running = null)
    {
        var since = time.GetUtcNow() - Options.BuildHistory;
        lock (gate)
        {
            return [.. feeds.Values
                .Where(f => master is null || f.Info.Name == master)
                .SelectMany(f => f.Builds.Values.Where(b => !b.Complete || b.CompleteAt >= since).Select(b => RefLocked(f, b)))
                .Where(b => builder is null || b.Builder == builder)
                .Where(b => number is null || b.Number == number)
                .Where(b => worker is null || b.Worker == worker)
                .Where(b => running is null || (b.FinishedAt is null) == running)
                .OrderByDescending(b => b.StartedAt)];
        }
    }

    /// <summary>The connections and disconnections Wrangler saw, newest first.</summary>
    public async Task<IReadOnlyList<WorkerConnectionEvent>> HistoryAsync(string name, int take, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var stored = await db.WorkerEvents.AsNoTracking().Where(e => e.Worker == name)
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(take).ToListAsync(ct).ConfigureAwait(false);
        lock (gate)
        {
            // Events not yet written are history too.
            return [.. pendingEvents.Where(e => e.Worker == name).Concat(stored)
                .OrderByDescending(e => e.At).Take(take).Select(e => new WorkerConnectionEvent(e.At, e.Master, e.Kind))];
        }
    }

    /// <summary>Changes what Wrangler remembers of a worker (marks, pause deadlines, cycle reports) and stores it.</summary>
    public bool Update(string name, Action<WorkerRecord> change)
    {
        lock (gate)
        {
            if (!records.TryGetValue(name, out var r))
            {
                if (!listedOn.ContainsKey(name))
                {
                    return false;
                }

                r = records[name] = new WorkerRecord { Name = name, FirstSeenAt = time.GetUtcNow() };
            }

            change(r);
            dirty.Add(name);
        }

        flushSignal.Release();
        Changed?.Invoke();
        return true;
    }

    /// <summary>
    /// Remembers a runner's latest cycle report, even for a worker no master has shown yet (the runner reports before
    /// the worker connects). A report older than the one kept (sent late from the runner's queue) changes nothing.
    /// </summary>
    public void RecordCycle(string name, string phase, string? detail, DateTimeOffset at)
    {
        lock (gate)
        {
            if (!records.TryGetValue(name, out var r))
            {
                r = records[name] = new WorkerRecord { Name = name, FirstSeenAt = time.GetUtcNow() };
            }

            if (r.LastCycleReportAt is { } last && at < last)
            {
                return;
            }

            r.LastCycleReportAt = at;
            r.LastCyclePhase = phase;
            r.LastCycleDetail = detail;
            if (phase == "preflight")
            {
                r.LastCycleStartedAt = at;
            }

            dirty.Add(name);
        }

        flushSignal.Release();
        Changed?.Invoke();
    }

    /// <summary>Workers whose timed pause is due to be lifted.</summary>
    public IReadOnlyList<string> PausesDue(DateTimeOffset now)
    {
        lock (gate)
        {
            return [.. records.Values.Where(r => r.PausedUntil <= now).Select(r => r.Name)];
        }
    }

    /// <summary>Re-reads one master's REST state now (after a control action, say) instead of waiting for the stream.</summary>
    public void Nudge(string master)
    {
        lock (gate)
        {
            if (feeds.TryGetValue(master, out var f))
            {
                f.Resync.Release();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await LoadAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            loaded.TrySetResult();
        }

        inventory.Changed += OnInventoryChanged;
        var flusher = FlushLoopAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                SyncFeeds(stoppingToken);
                try
                {
                    await inventorySignal.WaitAsync(wrangler.Value.PollInterval, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            inventory.Changed -= OnInventoryChanged;
            List<Feed> all;
            lock (gate)
            {
                all = [.. feeds.Values];
                feeds.Clear();
            }

            foreach (var f in all)
            {
                await f.Cts.CancelAsync().ConfigureAwait(false);
            }

            await Task.WhenAll(all.Select(f => f.Loop)).ConfigureAwait(false);
            await flusher.ConfigureAwait(false);
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private void OnInventoryChanged() => inventorySignal.Release();

    private async Task LoadAsync(CancellationToken ct)
    {
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
            var rows = await db.Workers.AsNoTracking().ToListAsync(ct).ConfigureAwait(false);
            lock (gate)
            {
                foreach (var r in rows)
                {
                    records[r.Name] = r;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "could not load stored worker history; starting without it");
        }
    }

    // One feed per enabled master; a changed inventory entry (new URL, disabled) restarts or drops its feed.
    private void SyncFeeds(CancellationToken stoppingToken)
    {
        var wanted = inventory.Masters.Where(m => m.Enabled).ToDictionary(m => m.Name, StringComparer.Ordinal);
        var stopped = new List<Feed>();
        lock (gate)
        {
            foreach (var (name, f) in feeds.ToList())
            {
                if (!wanted.TryGetValue(name, out var info) || info != f.Info)
                {
                    feeds.Remove(name);
                    stopped.Add(f);
                    foreach (var w in f.Workers.Keys)
                    {
                        UnlistLocked(w, f);
                    }
                }
            }

            foreach (var (name, info) in wanted)
            {
                if (!feeds.ContainsKey(name))
                {
                    var f = new Feed(info, CancellationTokenSource.CreateLinkedTokenSource(stoppingToken));
                    feeds[name] = f;
                    f.Loop = Task.Run(() => RunFeedAsync(f, f.Cts.Token), CancellationToken.None);
                }
            }
        }

        foreach (var f in stopped)
        {
            f.Cts.Cancel();
        }

        if (stopped.Count > 0)
        {
            Reconcile([.. stopped.SelectMany(f => f.Workers.Keys)], []);
        }
    }

    private async Task RunFeedAsync(Feed f, CancellationToken ct)
    {
        var api = access.Api(f.Info);
        var streams = new[] { ListenAsync(f, api, "workers/*/*", ct), ListenAsync(f, api, "builds/*/*", ct) };
        while (!ct.IsCancellationRequested)
        {
            await ResyncAsync(f, api, ct).ConfigureAwait(false);
            try
            {
                // With both streams up the read only guards against a lost event; without them it is the only source.
                var interval = Volatile.Read(ref f.StreamsUp) >= 2 ? Max(wrangler.Value.PollInterval, StreamsUpPoll) : wrangler.Value.PollInterval;
                await f.Resync.WaitAsync(interval, ct).ConfigureAwait(false);
                // Several requests in a burst (a stream reconnecting, a control action) need one read.
                while (f.Resync.CurrentCount > 0)
                {
                    await f.Resync.WaitAsync(ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(streams).ConfigureAwait(false);
    }

    private async Task ListenAsync(Feed f, IBuildbotApi api, string path, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var up = false;
            try
            {
                await foreach (var e in api.ListenAsync(path, ct).ConfigureAwait(false))
                {
                    if (e.Key is ["handshake"])
                    {
                        // Events between the last REST read and this subscription are lost: read again.
                        if (!up)
                        {
                            up = true;
                            Interlocked.Increment(ref f.StreamsUp);
                        }

                        f.Resync.Release();
                        continue;
                    }

                    Apply(f, e);
                }
            }
            catch (NotSupportedException)
            {
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogDebug(ex, "event stream {Path} of {Master} dropped", path, f.Info.Name);
            }

            finally
            {
                if (up)
                {
                    Interlocked.Decrement(ref f.StreamsUp);
                }
            }

            // A closed stream is how a dying master says so (BUILDBOT.md §10): read its state now, and have the fleet
            // monitor poll the host, so a stopped master shows in seconds instead of at the next poll interval. Only
            // a stream that was open counts: reconnects to a master that is already down would poll it every second.
            f.Resync.Release();
            if (up && !ct.IsCancellationRequested)
            {
                PollClosed(f);
            }

            try
            {
                await Task.Delay(StreamRetry, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ResyncAsync(Feed f, IBuildbotApi api, CancellationToken ct)
    {
        HashSet<string> names;
        lock (gate)
        {
            f.TouchedWorkers.Clear();
            f.TouchedBuilds.Clear();
            names = [.. f.Workers.Keys];
        }

        try
        {
            var mastersTask = api.GetMastersAsync(ct);
            var workersTask = api.GetWorkersAsync(ct);
            var buildersTask = api.GetBuildersAsync(ct);
            var buildsTask = api.GetBuildsSinceAsync(time.GetUtcNow() - Options.BuildHistory, ct);
            await Task.WhenAll(mastersTask, workersTask, buildersTask, buildsTask).ConfigureAwait(false);
            lock (gate)
            {
                // An event that arrived while REST was answering is newer than the answer: it wins.
                f.OwnId = OwnMasterId(f.Info, mastersTask.Result);
                var workers = f.Workers.Where(w => f.TouchedWorkers.Contains(w.Key)).ToList();
                f.Workers.Clear();
                foreach (var w in workersTask.Result.Where(w => !f.TouchedWorkers.Contains(w.Name)))
                {
                    f.Workers[w.Name] = w;
                    f.WorkerNames[w.WorkerId] = w.Name;
                }

                foreach (var (name, w) in workers)
                {
                    f.Workers[name] = w;
                }

                foreach (var gone in names.Where(n => !f.Workers.ContainsKey(n)))
                {
                    UnlistLocked(gone, f);
                }

                foreach (var name in f.Workers.Keys)
                {
                    ListLocked(name, f);
                }

                names.UnionWith(f.Workers.Keys);

                foreach (var b in buildersTask.Result)
                {
                    f.Builders[b.BuilderId] = b.Name;
                }

                var builds = f.Builds.Where(b => f.TouchedBuilds.Contains(b.Key)).ToList();
                f.Builds.Clear();
                foreach (var b in buildsTask.Result.Where(b => !f.TouchedBuilds.Contains(b.BuildId)))
                {
                    f.Builds[b.BuildId] = b;
                }

                foreach (var (id, b) in builds)
                {
                    f.Builds[id] = b;
                }

                f.Reachable = true;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "REST read of {Master} failed", f.Info.Name);
            lock (gate)
            {
                // Workers cannot be attached to a master that does not answer; they stay listed as configured there.
                f.Reachable = false;
                foreach (var b in f.Builds.Where(b => !b.Value.Complete).ToList())
                {
                    f.Builds.Remove(b.Key);
                }
            }
        }

        List<(Feed, BuildbotBuild)> seen;
        lock (gate)
        {
            seen = [.. f.Builds.Values.Select(b => (f, b))];
        }

        Reconcile(names, seen);
    }

    private void Apply(Feed f, BuildbotEvent e)
    {
        string? worker = null;
        BuildbotBuild? build = null;
        try
        {
            var needNames = false;
            lock (gate)
            {
                switch (e.Key.Count > 0 ? e.Key[0] : "")
                {
                    case "workers" when e.Message.TryGetProperty("name", out _) && e.Message.TryGetProperty("workerid", out _):
                        var w = BuildbotClient.ParseWorker(e.Message);
                        f.Workers[w.Name] = w;
                        f.WorkerNames[w.WorkerId] = w.Name;
                        f.TouchedWorkers.Add(w.Name);
                        ListLocked(w.Name, f);
                        worker = w.Name;
                        break;
                    case "builds" when e.Message.TryGetProperty("buildid", out _):
                        var b = BuildbotClient.ParseBuild(e.Message);
                        f.Builds[b.BuildId] = b;
                        f.TouchedBuilds.Add(b.BuildId);
                        build = b;
                        needNames = !f.Builders.ContainsKey(b.BuilderId) || b.WorkerId is int id && !f.WorkerNames.ContainsKey(id);
                        break;
                    default:
                        return;
                }
            }

            if (needNames)
            {
                f.Resync.Release();
            }
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            logger.LogDebug(ex, "unexpected event {Key} from {Master}", string.Join('/', e.Key), f.Info.Name);
            return;
        }

        Reconcile(worker is null ? [] : [worker], build is null ? [] : [(f, build)]);
    }

    // Buildbot names a master "<host>:<master_dir>"; each lab or production master has its own database, so usually one.
    private static int? OwnMasterId(MasterInfo info, IReadOnlyList<BuildbotMaster> masters)
    {
        if (masters.Count == 1)
        {
            return masters[0].MasterId;
        }

        var dir = info.MasterDir.TrimEnd('/');
        return masters.FirstOrDefault(m => m.Name.EndsWith(":" + dir, StringComparison.Ordinal) || m.Name.EndsWith(":" + dir + "/", StringComparison.Ordinal))?.MasterId;
    }

    /// <summary>
    /// Turns what the feeds see now into stored facts (connections, disconnections, build starts and ends) for the
    /// workers and builds a change touched; nothing else can have moved.
    /// </summary>
    private void Reconcile(IReadOnlyCollection<string> names, IReadOnlyList<(Feed Feed, BuildbotBuild Build)> builds)
    {
        var now = time.GetUtcNow();
        var changed = false;
        lock (gate)
        {
            foreach (var name in names)
            {
                if (!listedOn.ContainsKey(name))
                {
                    // Listed by no master now (its master disabled, say): nothing is known of it to record.
                    continue;
                }

                if (!records.TryGetValue(name, out var r))
                {
                    r = records[name] = new WorkerRecord { Name = name, FirstSeenAt = now };
                    dirty.Add(name);
                    changed = true;
                }

                var connected = ConnectedLocked(name);
                if (r.ConnectedMaster is not null && !connected.Contains(r.ConnectedMaster))
                {
                    pendingEvents.Add(new WorkerEventRecord { Worker = name, Master = r.ConnectedMaster, Kind = "disconnected", At = now });
                    r.LastDisconnectedAt = now;
                    r.ConnectedMaster = null;
                    dirty.Add(name);
                    changed = true;
                }

                if (r.ConnectedMaster is null && connected.Count > 0)
                {
                    r.ConnectedMaster = connected[0];
                    r.LastConnectedAt = now;
                    pendingEvents.Add(new WorkerEventRecord { Worker = name, Master = connected[0], Kind = "connected", At = now });
                    dirty.Add(name);
                    changed = true;
                }
            }

            foreach (var (f, b) in builds)
            {
                if (b.WorkerId is not int wid || !f.WorkerNames.TryGetValue(wid, out var wname) || !records.TryGetValue(wname, out var r))
                {
                    continue;
                }

                if (b.StartedAt is { } started && (r.LastBuildStartedAt is null || started > r.LastBuildStartedAt))
                {
                    r.LastBuildStartedAt = started;
                    dirty.Add(wname);
                    changed = true;
                }

                if (b.Complete && b.CompleteAt is { } done && (r.LastBuildFinishedAt is null || done > r.LastBuildFinishedAt))
                {
                    var br = RefLocked(f, b);
                    r.LastBuildFinishedAt = done;
                    r.LastBuildResult = br.Result;
                    r.LastBuildMaster = br.Master;
                    r.LastBuildBuilder = br.Builder;
                    r.LastBuildNumber = br.Number;
                    r.LastBuildUrl = br.Url.AbsoluteUri;
                    dirty.Add(wname);
                    changed = true;
                }
            }
        }

        if (changed)
        {
            flushSignal.Release();
        }

        Changed?.Invoke();
    }

    private async Task FlushLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await flushSignal.WaitAsync(ct).ConfigureAwait(false);
                await FlushAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "could not store worker history; retrying");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                flushSignal.Release();
            }
        }
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        List<WorkerRecord> rows;
        List<WorkerEventRecord> events;
        lock (gate)
        {
            if (!lease.IsLeader)
            {
                // The leader sees the same streams and stores them; a follower writing too would double every event
                // (docs/ha.md). Its memory stays whole for its own pages.
                dirty.Clear();
                pendingEvents.Clear();
                return;
            }

            rows = [.. dirty.Where(records.ContainsKey).Select(n => records[n].Copy())];
            events = [.. pendingEvents];
            dirty.Clear();
        }

        if (rows.Count == 0 && events.Count == 0)
        {
            return;
        }

        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
            var names = rows.Select(r => r.Name).ToList();
            var existing = await db.Workers.Where(w => names.Contains(w.Name)).ToDictionaryAsync(w => w.Name, ct).ConfigureAwait(false);
            foreach (var r in rows)
            {
                if (existing.TryGetValue(r.Name, out var e))
                {
                    db.Entry(e).CurrentValues.SetValues(r);
                }
                else
                {
                    db.Workers.Add(r);
                }
            }

            db.WorkerEvents.AddRange(events.Select(e => new WorkerEventRecord { Worker = e.Worker, Master = e.Master, Kind = e.Kind, At = e.At }));
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
            lock (gate)
            {
                pendingEvents.RemoveRange(0, Math.Min(events.Count, pendingEvents.Count));
            }
        }
        catch
        {
            lock (gate)
            {
                foreach (var r in rows)
                {
                    dirty.Add(r.Name);
                }
            }

            throw;
        }
    }

    private void ListLocked(string name, Feed f)
    {
        // A replaced feed's last read can land after its successor's: only the current feed of a master lists.
        if (!feeds.TryGetValue(f.Info.Name, out var current) || current != f)
        {
            return;
        }

        if (!listedOn.TryGetValue(name, out var on))
        {
            listedOn[name] = on = [];
        }

        if (!on.Contains(f))
        {
            on.Add(f);
        }
    }

    private void UnlistLocked(string name, Feed f)
    {
        if (listedOn.TryGetValue(name, out var on) && on.Remove(f) && on.Count == 0)
        {
            listedOn.Remove(name);
        }
    }

    private List<Feed> SeenLocked(string name) => listedOn.GetValueOrDefault(name) ?? [];

    private List<string> ConnectedLocked(string name) =>
        [.. SeenLocked(name)
            .Where(f => f.Reachable && f.Workers.TryGetValue(name, out var w) && w.ConnectedTo.Any(id => f.OwnId is null || id == f.OwnId))
            .Select(f => f.Info.Name)
            .Order(StringComparer.Ordinal)];

    private Dictionary<string, List<BuildRef>> RunningLocked()
    {
        var byWorker = new Dictionary<string, List<BuildRef>>(StringComparer.Ordinal);
        foreach (var f in feeds.Values)
        {
            foreach (var b in f.Builds.Values)
            {
                if (!b.Complete && b.WorkerId is int id && f.WorkerNames.TryGetValue(id, out var name))
                {
                    if (!byWorker.TryGetValue(name, out var list))
                    {
                        byWorker[name] = list = [];
                    }

                    list.Add(RefLocked(f, b));
                }
            }
        }

        foreach (var list in byWorker.Values)
        {
            list.Sort((a, b) => Nullable.Compare(a.StartedAt, b.StartedAt));
        }

        return byWorker;
    }

    private WorkerView ViewLocked(string name, DateTimeOffset now, Dictionary<string, List<BuildRef>> runningByWorker)
    {
        var seen = SeenLocked(name).OrderBy(f => f.Info.Name, StringComparer.Ordinal).ToList();
        var connected = ConnectedLocked(name);
        var configured = seen.Where(f => f.Workers[name].ConfiguredOn.Any(c => f.OwnId is null || c.MasterId == f.OwnId))
            .Select(f => f.Info.Name).Order(StringComparer.Ordinal).ToList();
        var attached = seen.Where(f => connected.Contains(f.Info.Name)).Select(f => f.Workers[name]).ToList();
        var info = seen.Select(f => f.Workers[name]).FirstOrDefault(w => w.Version is not null) ?? seen[0].Workers[name];
        var running = runningByWorker.TryGetValue(name, out var builds) ? builds : [];
        var r = records.GetValueOrDefault(name) ?? new WorkerRecord { Name = name, FirstSeenAt = now };
        var paused = attached.Any(w => w.Paused);
        var graceful = attached.Any(w => w.Graceful);
        // A runner-managed worker's cycle is the runner's: it restarts with each pre-flight, not with each connection.
        var lastCycle = r.LastCycleStartedAt ?? Max(Max(r.LastConnectedAt, r.LastBuildStartedAt), r.LastCycleReportAt);
        var view = new WorkerView
        {
            Name = name,
            Pool = WorkerRules.PoolOf(name, poolPattern),
            ConnectedTo = connected,
            ConfiguredOn = configured,
            Paused = paused,
            Graceful = graceful,
            State = WorkerRules.StateOf(connected.Count > 0, graceful, paused, running.Count > 0),
            RunningBuilds = running,
            LastConnectedAt = r.LastConnectedAt,
            LastDisconnectedAt = r.LastDisconnectedAt,
            LastBuildStartedAt = r.LastBuildStartedAt,
            LastBuildFinishedAt = r.LastBuildFinishedAt,
            LastBuildResult = r.LastBuildResult,
            LastBuild = r.LastBuildMaster is null || r.LastBuildBuilder is null || r.LastBuildNumber is null || r.LastBuildUrl is null
                ? null
                : new BuildRef(r.LastBuildMaster, r.LastBuildBuilder, r.LastBuildNumber.Value, name, null, r.LastBuildFinishedAt, r.LastBuildResult, new Uri(r.LastBuildUrl)),
            LastCycleAt = lastCycle,
            Version = info.Version,
            Host = info.Host,
            ExpectedIdle = r.IdleReason is not null && r.IdleBy is not null && r.IdleUntil is { } until ? new ExpectedIdleMark(r.IdleReason, r.IdleBy, until) : null,
            PausedUntil = r.PausedUntil,
            FirstSeenAt = r.FirstSeenAt,
            CyclePhase = r.LastCyclePhase,
            CyclePhaseAt = r.LastCycleReportAt,
            CycleDetail = r.LastCycleDetail,
            CycleStartedAt = r.LastCycleStartedAt,
        };
        var (liveness, detail) = WorkerRules.LivenessOf(view, now, Options);
        return view with { Liveness = liveness, LivenessDetail = detail };
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static BuildRef RefLocked(Feed f, BuildbotBuild b) => new(
        f.Info.Name,
        f.Builders.GetValueOrDefault(b.BuilderId) ?? $"builder {b.BuilderId}",
        b.Number,
        b.WorkerId is int id ? f.WorkerNames.GetValueOrDefault(id) : null,
        b.StartedAt,
        b.Complete ? b.CompleteAt : null,
        b.Complete ? WorkerRules.ResultWord(b.Results) : null,
        f.Info.BuildUrl(b.BuilderId, b.Number));

    private void PollClosed(Feed f)
    {
        var now = time.GetTimestamp();
        lock (f)
        {
            if (f.ClosedPollAt is { } last && time.GetElapsedTime(last, now) < ClosedStreamPollEvery)
            {
                return;
            }

            f.ClosedPollAt = now;
        }

        _ = fleet.RefreshAsync(f.Info.Name, f.Cts.Token).ContinueWith(
            t => logger.LogDebug(t.Exception, "poll of {Master} after its event stream closed failed", f.Info.Name),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private sealed class Feed(MasterInfo info, CancellationTokenSource cts)
    {
        public MasterInfo Info { get; } = info;
        public CancellationTokenSource Cts { get; } = cts;
        public Task Loop { get; set; } = Task.CompletedTask;
        public SemaphoreSlim Resync { get; } = new(0);
        public bool Reachable { get; set; }

        /// <summary>Event streams currently open (0 to 2).</summary>
        public int StreamsUp;

        /// <summary>When a closed stream last made the fleet monitor poll this master (<see cref="TimeProvider.GetTimestamp"/>).</summary>
        public long? ClosedPollAt { get; set; }
        public int? OwnId { get; set; }
        public Dictionary<string, BuildbotWorker> Workers { get; } = new(StringComparer.Ordinal);
        public Dictionary<int, string> WorkerNames { get; } = [];
        public Dictionary<int, string> Builders { get; } = [];
        public Dictionary<int, BuildbotBuild> Builds { get; } = [];
        public HashSet<string> TouchedWorkers { get; } = new(StringComparer.Ordinal);
        public HashSet<int> TouchedBuilds { get; } = [];
    }
}
