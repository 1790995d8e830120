using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wrangler.Core.Campaigns;

namespace Wrangler.Core.Scheduling;

/// <summary>Watches campaign changes for unattended campaigns that stopped by themselves; the check runs off the event thread.</summary>
internal sealed class UnattendedWatch(CampaignService campaigns, ScheduleService schedules, ILogger<UnattendedWatch> logger) : BackgroundService
{
    private readonly Channel<long> changed = Channel.CreateBounded<long>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });

    public override Task StartAsync(CancellationToken ct)
    {
        campaigns.Changed += OnChanged;
        return base.StartAsync(ct);
    }

    public override Task StopAsync(CancellationToken ct)
    {
        campaigns.Changed -= OnChanged;
        return base.StopAsync(ct);
    }

    private void OnChanged(long id) => changed.Writer.TryWrite(id);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var id in changed.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await schedules.CheckStoppedAsync(id, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Checking campaign {Id} for an unattended stop failed", id);
            }
        }
    }
}
