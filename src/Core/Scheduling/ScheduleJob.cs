using Quartz;
using Quartz.Spi;
using Microsoft.Extensions.DependencyInjection;

namespace Wrangler.Core.Scheduling;

/// <summary>The Quartz job: a thin adapter that hands the fire to <see cref="ScheduleService"/>.</summary>
[DisallowConcurrentExecution]
public sealed class ScheduleJob(ScheduleService schedules) : IJob
{
    public const string Group = "wrangler";

    public static JobKey Key(long id) => new($"schedule-{id}", Group);

    public static TriggerKey TriggerKey(long id) => new($"schedule-{id}", Group);

    public static string CalendarName(long id) => $"schedule-{id}";

    public static long? IdOf(string name) => name.StartsWith("schedule-", StringComparison.Ordinal) && long.TryParse(name["schedule-".Length..], out var id) ? id : null;

    public Task Execute(IJobExecutionContext context) =>
        IdOf(context.JobDetail.Key.Name) is { } id
            ? schedules.FireAsync(id, context.ScheduledFireTimeUtc ?? context.FireTimeUtc, context.CancellationToken)
            : Task.CompletedTask;
}

/// <summary>Quartz asks for jobs by type; they come from the app's container so they get its services.</summary>
internal sealed class ServiceJobFactory(IServiceProvider services) : IJobFactory
{
    public IJob NewJob(TriggerFiredBundle bundle, IScheduler scheduler) => (IJob)ActivatorUtilities.CreateInstance(services, bundle.JobDetail.JobType);

    public void ReturnJob(IJob job) => (job as IDisposable)?.Dispose();
}

/// <summary>Records misfires: with policy "skip" Quartz never runs the job, so this is the only trace that a fire was missed.</summary>
internal sealed class MisfireListener(ScheduleService schedules) : ITriggerListener
{
    public string Name => "wrangler-misfires";

    public Task TriggerFired(ITrigger trigger, IJobExecutionContext context, CancellationToken ct = default) => Task.CompletedTask;

    public Task<bool> VetoJobExecution(ITrigger trigger, IJobExecutionContext context, CancellationToken ct = default) => Task.FromResult(false);

    public Task TriggerMisfired(ITrigger trigger, CancellationToken ct = default)
    {
        // Called inside Quartz's store transaction, which holds SQLite's write lock: writing the audit event here
        // would wait on that lock. Record it after Quartz lets go.
        if (IdOf(trigger) is { } id && trigger.GetNextFireTimeUtc() is { } missed)
        {
            var instruction = trigger.MisfireInstruction;
            _ = Task.Run(() => schedules.RecordMisfireAsync(id, missed, instruction == MisfireInstruction.CronTrigger.DoNothing, CancellationToken.None), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task TriggerComplete(ITrigger trigger, IJobExecutionContext context, SchedulerInstruction triggerInstructionCode, CancellationToken ct = default) => Task.CompletedTask;

    private static long? IdOf(ITrigger t) => t.Key.Group == ScheduleJob.Group ? ScheduleJob.IdOf(t.Key.Name) : null;
}
