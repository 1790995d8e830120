using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Persistence;
using Microsoft.Extensions.Options;
using Wrangler.Core;
using Wrangler.Core.Fleet;
using Wrangler.Dashboard.Model;

namespace Wrangler.Dashboard.Components.Pages;

public sealed partial class Fleet
{
    private MasterRole? roleFilter;
    private string? bucketFilter;
    private string? dcFilter;
    private MasterStatus? stateFilter;
    private bool outOfSyncOnly;
    private string search = "";
    private IReadOnlyList<FleetSlot>? strip;
    private ITimer? stripTimer;

    /// <summary>How far back the strip looks, and how many slots it is cut into (15 minutes each).</summary>
    private static readonly TimeSpan StripWindow = TimeSpan.FromHours(24);
    private const int StripSlots = 96;

    [Inject] public required IFleetMonitor Monitor { get; init; }
    [Inject] public required TimeProvider Time { get; init; }
    [Inject] public required IOptions<WranglerOptions> Options { get; init; }
    [Inject] public required Core.Sync.ProductionWatcher Sync { get; init; }
    [Inject] public required IDbContextFactory<WranglerDb> Db { get; init; }

    private LiveFleet Live { get; set; } = null!;
    private DateTimeOffset Now => Time.GetUtcNow();
    private TimeSpan PollInterval => Options.Value.PollInterval;

    private IReadOnlyList<MasterRole?> Roles => [.. Live.Masters.Select(m => (MasterRole?)m.Master.Role).Distinct().Order()];
    private IReadOnlyList<string> Buckets => [.. Live.Masters.Select(m => m.Master.Bucket).Distinct().Order(StringComparer.Ordinal)];
    private IReadOnlyList<string> Datacentres => [.. Live.Masters.Select(m => m.Master.Datacentre).Where(d => d.Length > 0).Distinct().Order(StringComparer.Ordinal)];
    private IReadOnlyList<string> RepoNames => [.. Live.Masters.SelectMany(m => m.Repos.Select(r => r.Name)).Distinct()];
    private static IReadOnlyList<MasterStatus?> States => [.. Enum.GetValues<MasterStatus>().Select(s => (MasterStatus?)s)];

    private IEnumerable<(MasterStatus Status, int Count)> StateCounts =>
        Live.Masters.GroupBy(m => m.Status).OrderBy(g => g.Key).Select(g => (g.Key, g.Count()));

    private int OutOfSync => Live.Masters.Count(m => m.Master.Enabled && m.InSync == false);
    private int Drifting => Sync.Current.Drifting.Length;

    /// <summary>How long a master past the drift alarm has been behind; null when it is not drifting.</summary>
    private TimeSpan? DriftOf(MasterState m) =>
        Sync.Current.Drifting.Contains(m.Name) && Sync.Current.BehindSince.TryGetValue(m.Name, out var since) ? Now - since : null;

    private int WorkersConnected => Live.Masters.Sum(m => m.Workers.Connected);
    private int WorkersConfigured => Live.Masters.Sum(m => m.Workers.Configured);
    private int BuildsRunning => Live.Masters.Sum(m => m.RunningBuilds.Length);
    private int Pending => Live.Masters.Sum(m => m.PendingRequests);

    private bool Filtered => roleFilter is not null || bucketFilter is not null || dcFilter is not null || stateFilter is not null || outOfSyncOnly || search.Length > 0;

    private List<MasterState> Shown => [.. Live.Masters.Where(Matches)];

    /// <summary>Above this many rows only those in view are rendered: a thousand masters stay cheap to update.</summary>
    public const int VirtualiseAbove = 100;

    /// <summary>A dense row with a small chip; the virtualiser needs it to place the rows it does not render.</summary>
    private const float RowHeight = 25;

    private bool Virtualised => Shown.Count > VirtualiseAbove;

    private static readonly Dictionary<string, object> GridAttributes = new() { ["aria-label"] = "Masters", ["id"] = "fleet-grid" };

    private static string RowClass(MasterState m, int _) => m.Master.Enabled ? "wr-row" : "wr-row wr-disabled";

    private static string GroupClass(MudBlazor.GroupDefinition<MasterState> g) => $"wr-group-l{g.Level}";

    protected override async Task OnInitializedAsync()
    {
        Live = new LiveFleet(Monitor, Time);
        Live.Changed += OnChanged;
        Sync.Changed += OnSyncChanged;
        await LoadStripAsync();
    }

    private async Task LoadStripAsync()
    {
        var now = Now;
        var intervals = await FleetHistory.LoadAsync(Db, now - StripWindow, now, CancellationToken.None);
        strip = FleetHistory.Slots(intervals, Sync.Current.BehindSince, now - StripWindow, now, StripSlots);
    }

    // A minute is plenty for a 24-hour picture whose slots are 15 minutes wide.
    private void OnStripTick(object? _) => _ = InvokeAsync(async () =>
    {
        try
        {
            await LoadStripAsync();
            StateHasChanged();
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away during the reload.
        }
    });

    private void OnSyncChanged() => _ = OnChanged();

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            Live.Start();
            stripTimer = Time.CreateTimer(OnStripTick, null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
    }

    private async Task OnChanged()
    {
        try
        {
            await InvokeAsync(StateHasChanged);
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the change and the render.
        }
    }

    private bool Matches(MasterState m) =>
        (roleFilter is null || m.Master.Role == roleFilter)
        && (bucketFilter is null || m.Master.Bucket == bucketFilter)
        && (dcFilter is null || m.Master.Datacentre == dcFilter)
        && (stateFilter is null || m.Status == stateFilter)
        && (!outOfSyncOnly || m.InSync == false)
        && (search.Length == 0
            || m.Name.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)
            || m.Master.Hostname.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)
            || m.Master.Bucket.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase));

    private Task<IEnumerable<string>> SearchBuckets(string? text, CancellationToken cancel) =>
        Task.FromResult<IEnumerable<string>>(string.IsNullOrWhiteSpace(text) ? Buckets : [.. Buckets.Where(b => b.Contains(text.Trim(), StringComparison.OrdinalIgnoreCase))]);

    private void ToggleState(MasterStatus s) => stateFilter = stateFilter == s ? null : s;

    private void ClearFilters()
    {
        roleFilter = null;
        bucketFilter = null;
        dcFilter = null;
        stateFilter = null;
        outOfSyncOnly = false;
        search = "";
    }

    private bool Stale(MasterState m) => m.Master.Enabled && (m.LastPolledAt is null || Now - m.LastPolledAt > PollInterval * 3);

    private static string RoleTitle(MasterRole role) => role switch
    {
        MasterRole.Build => "Build masters",
        MasterRole.Try => "Try masters",
        MasterRole.Tests => "Test masters",
        MasterRole.Scheduler => "Scheduler masters",
        _ => role.ToString(),
    };

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static string RepoAbbrev(string repo) => repo switch
    {
        RepoCheckout.BuildbotCustom => "custom",
        RepoCheckout.BuildbotConfigs => "configs",
        RepoCheckout.Tools => "tools",
        _ => repo,
    };

    private static string RevTone(RepoState r) => r.Error is not null ? "bad" : r.InSync switch
    {
        true => "ok",
        false => "warn",
        null => "unknown",
    };

    private static string RevTitle(RepoState r) =>
        $"{r.Name} on {r.Branch}: {r.Revision ?? "unknown"}" + (r.InSync switch
        {
            true => " — at the production tip",
            false => $" — behind production tip {r.TipRevision}",
            null => " — production tip unknown",
        }) + (r.Error is null ? "" : $" ({r.Error})");

    private static string WorkerTitle(MasterState m) =>
        $"{m.Workers.Connected} connected of {m.Workers.Configured} configured; {m.Workers.Paused} paused; {m.Workers.Graceful} shutting down gracefully";

    public async ValueTask DisposeAsync()
    {
        Live.Changed -= OnChanged;
        Sync.Changed -= OnSyncChanged;
        if (stripTimer is not null)
        {
            await stripTimer.DisposeAsync();
        }
        await Live.DisposeAsync();
    }
}
