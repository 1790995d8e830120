using Microsoft.Extensions.Hosting;
using Quartz;

namespace Wrangler.Core.Scheduling;

/// <summary>
/// Hands the built scheduler to <see cref="ScheduleService"/> before Quartz's hosted service starts it (that waits for
/// the app to have started), so the stored schedules are in Quartz before anything fires.
/// </summary>
internal sealed class ScheduleAttacher(ISchedulerFactory factory, ScheduleService schedules) : IHostedService
{
    public async Task StartAsync(CancellationToken ct) => await schedules.AttachAsync(await factory.GetScheduler(ct), ct);

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
