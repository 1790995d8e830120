using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Dashboard.Api;

namespace Wrangler.Dashboard.Hubs;

/// <summary>
/// Turns Core's change notifications into hub messages. Core's events are raised on the runner's and poller's
/// threads and must not block, so handlers only enqueue; sending happens here.
/// </summary>
public sealed class FleetHubBroadcaster(
    IHubContext<FleetHub> hub,
    IFleetMonitor fleet,
    Core.Sync.ProductionWatcher sync,
    CampaignService campaigns,
    StepOutputLog outputLog,
    TimeProvider time,
    ILogger<FleetHubBroadcaster> logger) : BackgroundService
{
    /// <summary>A step can change a campaign several times in a few milliseconds; subscribers want its state, not every write.</summary>
    public static readonly TimeSpan CampaignCoalesce = TimeSpan.FromMilliseconds(250);

    private readonly Channel<long> changedCampaigns = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });

    // Bounded so a stuck subscriber cannot grow memory without limit; losing old output lines is better than that.
    private readonly Channel<StepOutputDto> output = Channel.CreateBounded<StepOutputDto>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        campaigns.Changed += OnCampaignChanged;
        campaigns.Progress += OnProgress;
        outputLog.Appended += OnOutput;
        try
        {
            await Task.WhenAll(MastersAsync(stoppingToken), CampaignsAsync(stoppingToken), OutputAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            campaigns.Changed -= OnCampaignChanged;
            campaigns.Progress -= OnProgress;
            outputLog.Appended -= OnOutput;
        }
    }

    private void OnCampaignChanged(long id) => changedCampaigns.Writer.TryWrite(id);

    private void OnProgress(long id, string master, string line) => output.Writer.TryWrite(new StepOutputDto(id, master, line));

    private void OnOutput(StepOutputLine l) => output.Writer.TryWrite(new StepOutputDto(l.CampaignId, l.Master, l.Line, l.Step, "remote"));

    private async Task MastersAsync(CancellationToken ct)
    {
        // The initial snapshot is not sent: a client asks for it with GetMasters when it connects.
        var subscription = fleet.Subscribe(ct);
        await foreach (var change in subscription.Changes.WithCancellation(ct))
        {
            await Guard(async () =>
            {
                foreach (var m in change.Updated)
                {
                    await hub.Clients.All.SendAsync("MasterChanged", MasterDto.From(m, sync.Current), ct);
                }

                foreach (var name in change.Removed)
                {
                    await hub.Clients.All.SendAsync("MasterRemoved", name, ct);
                }
            }, "master change");
        }
    }

    /// <summary>
    /// Waits <see cref="CampaignCoalesce"/> after the first change, then reads and sends every campaign that changed
    /// meanwhile, one after another: at most one message per campaign per interval, always read after its last change,
    /// and never two reads of one campaign racing each other to the wire.
    /// </summary>
    private async Task CampaignsAsync(CancellationToken ct)
    {
        var reader = changedCampaigns.Reader;
        var due = new HashSet<long>();
        while (await reader.WaitToReadAsync(ct))
        {
            await Task.Delay(CampaignCoalesce, time, ct);
            while (reader.TryRead(out var id))
            {
                due.Add(id);
            }

            foreach (var id in due)
            {
                await Guard(async () =>
                {
                    if (await campaigns.GetAsync(id, ct) is { } view)
                    {
                        await hub.Clients.All.SendAsync("CampaignChanged", CampaignDto.From(view), ct);
                    }
                }, $"campaign {id}");
            }

            due.Clear();
        }
    }

    private async Task OutputAsync(CancellationToken ct)
    {
        await foreach (var line in output.Reader.ReadAllAsync(ct))
        {
            await Guard(() => hub.Clients.Group(FleetHub.CampaignGroup(line.CampaignId)).SendAsync("StepOutput", line, ct), $"output of campaign {line.CampaignId}");
        }
    }

    // One failed send (a database hiccup reading a campaign) must not end the stream for every subscriber.
    private async Task Guard(Func<Task> send, string what)
    {
        try
        {
            await send();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Fleet hub: could not send {What}", what);
        }
    }
}
