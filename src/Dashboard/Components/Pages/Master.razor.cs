using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Fleet;
using Wrangler.Core.Persistence;
using Wrangler.Dashboard.Api;
using Wrangler.Dashboard.Model;

namespace Wrangler.Dashboard.Components.Pages;

public sealed partial class Master
{
    private IReadOnlyList<StateChangeDto> history = [];
    private MasterStatus? historyFor;
    private DateTimeOffset historyAt;

    [Parameter] public required string Name { get; set; }

    [Inject] public required IFleetMonitor Monitor { get; init; }
    [Inject] public required TimeProvider Time { get; init; }
    [Inject] public required Core.Sync.ProductionWatcher Sync { get; init; }
    [Inject] public required IDbContextFactory<WranglerDb> Dbs { get; init; }

    private LiveFleet Live { get; set; } = null!;
    private MasterState? State => Live.Find(Name);
    private DateTimeOffset Now => Time.GetUtcNow();

    protected override void OnInitialized()
    {
        Live = new LiveFleet(Monitor, Time);
        Live.Changed += OnChanged;
    }

    protected override async Task OnParametersSetAsync() => await LoadHistoryAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            Live.Start();
        }
    }

    private async Task LoadHistoryAsync()
    {
        historyFor = State?.Status;
        historyAt = Now;
        history = await MastersApi.RecentChangesAsync(Dbs, Name, 20, CancellationToken.None);
    }

    private async Task OnChanged()
    {
        try
        {
            await InvokeAsync(async () =>
            {
                // The monitor stores a change within ~2 s of it, so a changed state is read again a few seconds on too.
                if (State?.Status != historyFor || Now - historyAt > TimeSpan.FromSeconds(5))
                {
                    await LoadHistoryAsync();
                }

                StateHasChanged();
            });
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Live.Changed -= OnChanged;
        await Live.DisposeAsync();
    }
}
