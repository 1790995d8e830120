using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Persistence;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Fleet;

/// <summary>
/// Polls every master on its own schedule (so a dead one never delays the others), keeps the latest state,
/// publishes changes to subscribers and stores snapshots and state changes (the leader only: a follower polls for its
/// own pages, and storing too would write every state change twice; docs/ha.md).
/// </summary>
public sealed class FleetMonitor(
    IInventorySource inventory,
    IFleetAccess access,
    IRepoTips tipSource,
    IDbContextFactory<WranglerDb> dbs,
    IOptions<WranglerOptions> options,
    Leases.LeaderLease lease,
    TimeProvider time,
    ILogger<FleetMonitor> logger) : BackgroundService, IFleetMonitor
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    // History that cannot be stored is kept for a retry, but not without bound.
    private const int MaxQueued = 10_000;

    private readonly Lock gate = new();
    private readonly Dictionary<string, MasterState> states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> due = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<MasterState?>> inFlight = new(StringComparer.Ordinal);
    private readonly List<Channel<FleetChange>> subscribers = [];
    private readonly Dictionary<string, MasterState> dirty = new(StringComparer.Ordinal);
    private readonly List<MasterStateChangeRecord> changes = [];
    private readonly List<AuditEvent> audits = [];
    private InventoryStatus? auditedInventory;
    private readonly SemaphoreSlim slots = new(options.Value.PollParallelism);
    private Dictionary<string, MasterState> stored = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<(string Repo, string Branch), string> tips = new Dictionary<(string, string), string>();
    private FleetSnapshot snapshot = new([], inventory.Status);
    private int inventoryChanged = 1;
    private DateTimeOffset tipsDue;
    private Task tipsTask = Task.CompletedTask;
    private CancellationToken stopping;

    private WranglerOptions Options => options.Value;

    public FleetSnapshot Current => Volatile.Read(ref snapshot);

    public MasterState? Find(string name)
    {
        lock (gate)
        {
            return states.GetValueOrDefault(name);
        }
    }

    public FleetSubscription Subscribe(CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<FleetChange>(new UnboundedChannelOptions { SingleReader = true });
        FleetSnapshot initial;
        lock (gate)
        {
            subscribers.Add(channel);
            initial = snapshot;
        }

        return new FleetSubscription(initial, Read(channel, ct));
    }

    private async IAsyncEnumerable<FleetChange> Read(Channel<FleetChange> channel, [EnumeratorCancellation] CancellationToken ct)
    {
        try
        {
            await foreach (var change in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            lock (gate)
            {
                subscribers.Remove(channel);
            }
        }
    }

    public void SetCampaignStatus(string master, MasterStatus? status, string? detail)
    {
        lock (gate)
        {
            if (states.TryGetValue(master, out var s))
            {
                ApplyLocked(s with { CampaignStatus = status, CampaignDetail = status is null ? null : detail });
            }
        }
    }

    public Task<MasterState?> RefreshAsync(string master, CancellationToken ct)
    {
        MasterInfo? info;
        lock (gate)
        {
            info = states.GetValueOrDefault(master)?.Master;
        }

        return info is null ? Task.FromResult<MasterState?>(null) : StartPoll(info, ct);
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Last known states first, so a restarted Wrangler shows the fleet at once instead of a page of "not polled yet".
        try
        {
            await using var db = await dbs.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var rows = await db.MasterSnapshots.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
            foreach (var row in rows)
            {
                try
                {
                    if (JsonSerializer.Deserialize<MasterState>(row.Json, Json) is { } s)
                    {
                        stored[row.Name] = s with { CampaignStatus = null, CampaignDetail = null };
                    }
                }
                catch (JsonException ex)
                {
                    logger.LogWarning("Stored state of {Master} is unreadable and is ignored: {Error}", row.Name, ex.Message);
                }
            }
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            logger.LogWarning(ex, "Cannot read the last known fleet state; starting from nothing");
        }

        inventory.Changed += OnInventoryChanged;
        SyncInventory();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private void OnInventoryChanged() => Interlocked.Exchange(ref inventoryChanged, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        stopping = stoppingToken;
        using var ticker = new PeriodicTimer(TimeSpan.FromMilliseconds(500), time);
        var flushDue = time.GetUtcNow();
        try
        {
            do
            {
                if (Interlocked.Exchange(ref inventoryChanged, 0) == 1)
                {
                    SyncInventory();
                }

                var now = time.GetUtcNow();
                if (now >= tipsDue && tipsTask.IsCompleted)
                {
                    tipsDue = now + Options.PollInterval;
                    tipsTask = RefreshTipsAsync(stoppingToken);
                }

                LaunchDuePolls(now);
                if (now >= flushDue)
                {
                    flushDue = now + TimeSpan.FromSeconds(2);
                    await FlushAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            while (await ticker.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            inventory.Changed -= OnInventoryChanged;
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            lock (gate)
            {
                foreach (var s in subscribers)
                {
                    s.Writer.TryComplete();
                }
            }
        }
    }

    private void LaunchDuePolls(DateTimeOffset now)
    {
        List<MasterInfo> ready;
        lock (gate)
        {
            ready = [.. states.Values
                .Where(s => s.Master.Enabled && !inFlight.ContainsKey(s.Name) && due.GetValueOrDefault(s.Name) <= now)
                .OrderBy(s => due.GetValueOrDefault(s.Name))
                .Select(s => s.Master)];
            foreach (var m in ready)
            {
                due[m.Name] = now + Options.PollInterval;
            }
        }

        foreach (var m in ready)
        {
            _ = StartPoll(m, stopping);
        }
    }

    private Task<MasterState?> StartPoll(MasterInfo master, CancellationToken ct)
    {
        lock (gate)
        {
            if (inFlight.TryGetValue(master.Name, out var running))
            {
                return running;
            }

            var task = PollAsync(master, ct);
            inFlight[master.Name] = task;
            return task;
        }
    }

    private async Task<MasterState?> PollAsync(MasterInfo master, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            await slots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                return await PollOnceAsync(master, ct).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            // A bug in one poll must not stop the monitor; it shows up in the log and the next poll tries again.
            logger.LogError(ex, "Polling {Master} failed unexpectedly", master.Name);
            return null;
        }
        finally
        {
            lock (gate)
            {
                inFlight.Remove(master.Name);
            }
        }
    }

    private async Task<MasterState?> PollOnceAsync(MasterInfo master, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Options.PollTimeout);
        var started = time.GetTimestamp();

        var factsTask = Capture(() => access.Host(master).GetFactsAsync(40, deadline.Token));
        var api = access.Api(master);
        var restTask = Capture(async () =>
        {
            var masters = api.GetMastersAsync(deadline.Token);
            var workers = api.GetWorkersAsync(deadline.Token);
            var builds = api.GetRunningBuildsAsync(deadline.Token);
            var requests = api.GetPendingRequestsAsync(deadline.Token);
            return new RestView(await masters.ConfigureAwait(false), await workers.ConfigureAwait(false),
                await builds.ConfigureAwait(false), await requests.ConfigureAwait(false));
        });
        var (facts, hostError) = await factsTask.ConfigureAwait(false);
        var (rest, restError) = await restTask.ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var elapsed = time.GetElapsedTime(started);

        lock (gate)
        {
            if (!states.TryGetValue(master.Name, out var previous) || !ReferenceEquals(previous.Master, master) && previous.Master != master)
            {
                return previous; // the inventory changed under the poll; the next one uses the new entry
            }

            var next = MasterObservation.Combine(previous, facts, hostError, rest, restError, tips, time.GetUtcNow(), elapsed);
            ApplyLocked(next);
            return next;
        }
    }

    private static async Task<(T? Value, Exception? Error)> Capture<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return (await call().ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is SshException or BuildbotApiException or OperationCanceledException or HttpRequestException or TimeoutException or IOException)
        {
            return (null, ex);
        }
    }

    private async Task RefreshTipsAsync(CancellationToken ct)
    {
        try
        {
            var wanted = inventory.Masters.Where(m => m.Enabled).SelectMany(m => m.Repos.Select(r => (r.Name, r.Branch))).Distinct().ToList();
            var fresh = await tipSource.GetTipsAsync(wanted, ct).ConfigureAwait(false);
            lock (gate)
            {
                var same = fresh.Count == tips.Count && fresh.All(kv => tips.TryGetValue(kv.Key, out var v) && v == kv.Value);
                if (same)
                {
                    return;
                }

                tips = fresh;
                foreach (var s in states.Values.ToList())
                {
                    ApplyLocked(MasterObservation.WithTips(s, fresh));
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Reading production tips failed");
        }
    }

    private void SyncInventory()
    {
        var masters = inventory.Masters;
        var status = inventory.Status;
        lock (gate)
        {
            var updated = ImmutableArray.CreateBuilder<MasterState>();
            var keep = new HashSet<string>(StringComparer.Ordinal);
            foreach (var m in masters)
            {
                keep.Add(m.Name);
                if (states.TryGetValue(m.Name, out var s))
                {
                    if (s.Master != m)
                    {
                        states[m.Name] = s = s with { Master = m, Observed = m.Enabled && !s.Master.Enabled ? MasterStatus.Unreachable : s.Observed };
                        due[m.Name] = DateTimeOffset.MinValue;
                        updated.Add(s);
                    }

                    continue;
                }

                var fresh = stored.TryGetValue(m.Name, out var last)
                    ? last with { Master = m, Repos = [.. m.Repos.Select(r => last.Repos.FirstOrDefault(x => x.Name == r.Name && x.Dir == r.Dir) ?? new RepoState(r.Name, r.Dir, r.Branch, null, null, null, null))] }
                    : MasterState.NotYetPolled(m);
                states[m.Name] = fresh;
                due[m.Name] = DateTimeOffset.MinValue;
                updated.Add(fresh);
            }

            var removed = states.Keys.Where(k => !keep.Contains(k)).ToImmutableArray();
            foreach (var name in removed)
            {
                states.Remove(name);
                due.Remove(name);
            }

            Volatile.Write(ref snapshot, new FleetSnapshot(Ordered(), status));
            Publish(new FleetChange(updated.ToImmutable(), removed, status));
            AuditInventoryLocked(status, masters.Count, removed.Length);
        }

        // New repos or branches may have appeared: read tips again on the next tick.
        tipsDue = DateTimeOffset.MinValue;
    }

    // Reloads and refusals change what Wrangler may act on, so they belong in the audit log like a person's actions.
    private void AuditInventoryLocked(InventoryStatus status, int count, int removed)
    {
        if (auditedInventory is { } last && last.LoadedAt == status.LoadedAt && last.FailedAt == status.FailedAt)
        {
            return;
        }

        var refused = status.HasError && status.FailedAt != auditedInventory?.FailedAt;
        auditedInventory = status;
        audits.Add(new AuditEvent
        {
            At = time.GetUtcNow(),
            Actor = "wrangler",
            Kind = refused ? "inventory.refused" : "inventory.loaded",
            Subject = status.Source,
            Detail = refused
                ? status.Error + (status.Problems.Count > 0 ? "\n" + string.Join("\n", status.Problems) : "")
                : $"{count} masters in force" + (removed > 0 ? $"; {removed} removed" : ""),
        });
    }

    private void ApplyLocked(MasterState next)
    {
        if (!states.TryGetValue(next.Name, out var previous))
        {
            return;
        }

        states[next.Name] = next;
        dirty[next.Name] = next;
        var firstLook = previous.LastPolledAt is null && next.LastPolledAt is not null;
        if (previous.Status != next.Status || firstLook || previous.StatusDetail != next.StatusDetail && next.Status is MasterStatus.Unreachable or MasterStatus.Stopped)
        {
            changes.Add(new MasterStateChangeRecord
            {
                Master = next.Name,
                At = time.GetUtcNow(),
                From = firstLook && previous.ObservedDetail == "not polled yet" ? null : Wire(previous.Status),
                To = Wire(next.Status),
                Detail = next.StatusDetail,
            });
        }

        Volatile.Write(ref snapshot, new FleetSnapshot(Ordered(), snapshot.Inventory));
        Publish(new FleetChange([next], [], null));
    }

    /// <summary>The state as the HTTP contract spells it (camelCase).</summary>
    public static string Wire(MasterStatus status) => JsonNamingPolicy.CamelCase.ConvertName(status.ToString());

    private ImmutableArray<MasterState> Ordered() => [.. InFleetOrder(states.Values)];

    /// <summary>The order every page lists masters in: role, then bucket, then name.</summary>
    public static IEnumerable<MasterState> InFleetOrder(IEnumerable<MasterState> masters) =>
        masters.OrderBy(s => s.Master.Role).ThenBy(s => s.Master.Bucket, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal);

    private void Publish(FleetChange change)
    {
        foreach (var s in subscribers)
        {
            s.Writer.TryWrite(change);
        }
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        List<MasterState> states;
        List<MasterStateChangeRecord> records;
        List<AuditEvent> auditRecords;
        lock (gate)
        {
            if (dirty.Count == 0 && changes.Count == 0 && audits.Count == 0)
            {
                return;
            }

            if (!lease.IsLeader)
            {
                dirty.Clear();
                changes.Clear();
                audits.Clear();
                return;
            }

            states = [.. dirty.Values];
            records = [.. changes];
            auditRecords = [.. audits];
            dirty.Clear();
            changes.Clear();
            audits.Clear();
        }

        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
            var names = states.Select(s => s.Name).ToList();
            var rows = await db.MasterSnapshots.Where(r => names.Contains(r.Name)).ToDictionaryAsync(r => r.Name, ct).ConfigureAwait(false);
            foreach (var s in states)
            {
                var json = JsonSerializer.Serialize(s with { CampaignStatus = null, CampaignDetail = null }, Json);
                if (rows.TryGetValue(s.Name, out var row))
                {
                    row.Json = json;
                    row.Status = Wire(s.Status);
                    row.UpdatedAt = s.LastPolledAt ?? time.GetUtcNow();
                }
                else
                {
                    db.MasterSnapshots.Add(new MasterSnapshotRecord { Name = s.Name, Json = json, Status = Wire(s.Status), UpdatedAt = s.LastPolledAt ?? time.GetUtcNow() });
                }
            }

            db.MasterStateChanges.AddRange(records);
            db.AuditEvents.AddRange(auditRecords);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbUpdateException or Microsoft.Data.Sqlite.SqliteException or OperationCanceledException)
        {
            // Put everything back for the next flush (the final one at shutdown runs uncancelled); a newer state of
            // a master supersedes the one that failed to store.
            lock (gate)
            {
                foreach (var st in states)
                {
                    dirty.TryAdd(st.Name, st);
                }

                changes.InsertRange(0, records.Where(r => r.Id == 0).Take(MaxQueued - changes.Count));
                audits.InsertRange(0, auditRecords.Where(a => a.Id == 0).Take(MaxQueued - audits.Count));
            }

            if (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Storing fleet state failed ({States} states, {Changes} changes); will retry", states.Count, records.Count);
            }
        }
    }
}
