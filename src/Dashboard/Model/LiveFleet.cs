using Wrangler.Core.Fleet;

namespace Wrangler.Dashboard.Model;

/// <summary>
/// A component's live copy of the fleet: the snapshot, then the change stream applied in the background.
/// Renders are batched (at most every 200 ms) so a poll round of 60 masters is one re-render, not sixty,
/// and repeated every few seconds anyway so "3m ago" stays true.
/// </summary>
public sealed class LiveFleet : IAsyncDisposable
{
    private static readonly TimeSpan Batch = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);

    private readonly IFleetMonitor monitor;
    private readonly TimeProvider time;
    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private Dictionary<string, MasterState> byName;
    private IReadOnlyList<MasterState> ordered;
    private Task running = Task.CompletedTask;
    private int dirty;

    public LiveFleet(IFleetMonitor monitor, TimeProvider time)
    {
        this.monitor = monitor;
        this.time = time;
        var current = monitor.Current;
        byName = current.Masters.ToDictionary(m => m.Name, StringComparer.Ordinal);
        ordered = current.Masters;
        Inventory = current.Inventory;
    }

    public IReadOnlyList<MasterState> Masters => Volatile.Read(ref ordered);

    public InventoryStatus Inventory { get; private set; }

    /// <summary>Raised on the background task; the component marshals with InvokeAsync.</summary>
    public event Func<Task>? Changed;

    public MasterState? Find(string name)
    {
        lock (gate)
        {
            return byName.GetValueOrDefault(name);
        }
    }

    /// <summary>Call once the component is interactive (not while prerendering).</summary>
    public void Start()
    {
        if (!running.IsCompleted)
        {
            return;
        }

        var subscription = monitor.Subscribe(stop.Token);
        Apply(subscription.Initial.Masters, [], subscription.Initial.Inventory, replace: true);
        running = Task.WhenAll(ReadAsync(subscription.Changes), RenderAsync());
    }

    private async Task ReadAsync(IAsyncEnumerable<FleetChange> changes)
    {
        try
        {
            await foreach (var change in changes.WithCancellation(stop.Token))
            {
                Apply(change.Updated, change.Removed, change.Inventory, replace: false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task RenderAsync()
    {
        using var ticker = new PeriodicTimer(Batch, time);
        var since = TimeSpan.Zero;
        try
        {
            while (await ticker.WaitForNextTickAsync(stop.Token))
            {
                since += Batch;
                if (Interlocked.Exchange(ref dirty, 0) == 1 || since >= Refresh)
                {
                    since = TimeSpan.Zero;
                    if (Changed is { } handler)
                    {
                        await handler();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void Apply(IEnumerable<MasterState> updated, IEnumerable<string> removed, InventoryStatus? inventory, bool replace)
    {
        lock (gate)
        {
            var next = replace ? new Dictionary<string, MasterState>(StringComparer.Ordinal) : new Dictionary<string, MasterState>(byName, StringComparer.Ordinal);
            foreach (var m in updated)
            {
                next[m.Name] = m;
            }

            foreach (var name in removed)
            {
                next.Remove(name);
            }

            byName = next;
            Volatile.Write(ref ordered, [.. FleetMonitor.InFleetOrder(next.Values)]);
            if (inventory is not null)
            {
                Inventory = inventory;
            }
        }

        Interlocked.Exchange(ref dirty, 1);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }
}
