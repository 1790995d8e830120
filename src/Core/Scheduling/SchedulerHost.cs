using System.Collections.Specialized;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Quartz.Impl;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Scheduling;

/// <summary>
/// Quartz hosted in the app (its hosting packages are not served here): an ADO.NET job store in Wrangler's own SQLite
/// file, so triggers and their misfires survive a restart. Quartz keeps time with its own wall clock (SystemTime);
/// every decision Wrangler takes on a fire uses the injected TimeProvider, and tests use near-future real times.
/// </summary>
public sealed class SchedulerHost(
    IDbContextFactory<WranglerDb> dbs,
    IServiceProvider services,
    ScheduleService schedules,
    IOptions<SchedulingOptions> options,
    ILogger<SchedulerHost> logger) : IHostedService
{
    /// <summary>The SCHED_NAME of every Quartz row: constant, so a restarted Wrangler finds its triggers.</summary>
    public const string SchedulerName = "Wrangler";

    private IScheduler? scheduler;

    public IScheduler Scheduler => scheduler ?? throw new InvalidOperationException("the scheduler has not started");

    public async Task StartAsync(CancellationToken ct)
    {
        string connection;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            connection = db.Database.GetConnectionString()!;
        }

        await QuartzSchema.EnsureAsync(connection, ct);
        var props = new NameValueCollection
        {
            ["quartz.scheduler.instanceName"] = SchedulerName,
            ["quartz.threadPool.maxConcurrency"] = "2",
            ["quartz.jobStore.type"] = "Quartz.Impl.AdoJobStore.JobStoreTX, Quartz",
            ["quartz.jobStore.driverDelegateType"] = "Quartz.Impl.AdoJobStore.SQLiteDelegate, Quartz",
            ["quartz.jobStore.tablePrefix"] = "QRTZ_",
            ["quartz.jobStore.dataSource"] = "wrangler",
            ["quartz.jobStore.useProperties"] = "false",
            ["quartz.jobStore.misfireThreshold"] = ((long)options.Value.MisfireThreshold.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["quartz.dataSource.wrangler.connectionString"] = connection,
            ["quartz.dataSource.wrangler.provider"] = "SQLite-Microsoft",
            ["quartz.serializer.type"] = typeof(QuartzJsonSerializer).AssemblyQualifiedName!,
        };
        var s = await new StdSchedulerFactory(props).GetScheduler(ct);

        // Quartz keeps schedulers in a process-wide registry by name; two Wranglers in one process (tests) each have
        // their own database and must not be handed each other's scheduler.
        SchedulerRepository.Instance.Remove(SchedulerName);
        s.JobFactory = new ServiceJobFactory(services);
        s.ListenerManager.AddTriggerListener(new MisfireListener(schedules));
        await schedules.AttachAsync(s, ct);
        await s.Start(ct);
        scheduler = s;
        logger.LogInformation("Quartz scheduler started on {Database}", connection);
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (scheduler is { } s)
        {
            await s.Shutdown(waitForJobsToComplete: true, ct);
        }
    }
}
