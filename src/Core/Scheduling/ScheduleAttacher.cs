using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;
using Wrangler.Core.Leases;

namespace Wrangler.Core.Scheduling;

/// <summary>
/// Starts Quartz only on the instance that leads (docs/ha.md), once the app has started: it hands the scheduler to
/// <see cref="ScheduleService"/> with the stored schedules in it first, so nothing fires before they are there. A
/// follower never starts it, so a schedule fires once however many instances share the database; one that takes
/// over starts it then, and Quartz recovers its triggers as on a restart.
/// </summary>
internal sealed class ScheduleAttacher(ISchedulerFactory factory, ScheduleService schedules, LeaderLease lease, ILogger<ScheduleAttacher> logger, IHostApplicationLifetime? lifetime = null)
    : BackgroundService
{
    private IScheduler? running;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (lifetime is not null)
            {
                using var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken);
                await Task.Delay(Timeout.Infinite, started.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                stoppingToken.ThrowIfCancellationRequested();
            }

            await lease.WhenLeadingAsync(stoppingToken);
            var scheduler = await factory.GetScheduler(stoppingToken);
            await schedules.AttachAsync(scheduler, stoppingToken);
            await scheduler.Start(stoppingToken);
            running = scheduler;
            logger.LogInformation("Scheduler started: this instance leads");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (running is { } s)
        {
            // Let a job that is creating a campaign finish, as Quartz's own hosted service did (WaitForJobsToComplete).
            await s.Shutdown(waitForJobsToComplete: true, cancellationToken);
        }
    }
}
