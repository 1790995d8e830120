using System.Globalization;
using Quartz;

namespace Wrangler.Core.Scheduling;

/// <summary>The Quartz job: a thin adapter that hands the fire to <see cref="ScheduleService"/>.</summary>
[DisallowConcurrentExecution]
public sealed class ScheduleJob(ScheduleService schedules) : IJob
{
    public const string Group = "wrangler";

    public static JobKey Key(long id) => new($"schedule-{id}", Group);

    public static TriggerKey TriggerKey(long id) => new($"schedule-{id}", Group);

    public static string CalendarName(long id) => $"schedule-{id}";

    /// <summary>The one-off trigger of a fire time that passed while the schedule was being saved (ScheduleService.ApplyAsync).</summary>
    public static TriggerKey PassedTriggerKey(long id) => new($"schedule-{id}-passed", Group);

    /// <summary>The fire time a one-off trigger stands for, in its job data, since its own scheduled time is when it was added.</summary>
    public const string ScheduledKey = "scheduled";

    public static long? IdOf(string name) => name.StartsWith("schedule-", StringComparison.Ordinal) && long.TryParse(name["schedule-".Length..], out var id) ? id : null;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct = default)
    {
        if (IdOf(context.JobDetail.Key.Name) is { } id)
        {
            var scheduled = context.Trigger.JobDataMap.TryGetValue(ScheduledKey, out var v) && v is string text
                && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                ? at
                : context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
            await schedules.FireAsync(id, scheduled, ct);
        }
    }
}

/// <summary>Records misfires: with policy "skip" Quartz never runs the job, so this is the only trace that a fire was missed.</summary>
internal sealed class MisfireListener(ScheduleService schedules) : ITriggerListener
{
    public string Name => "wrangler-misfires";

    public ValueTask TriggerMisfired(ITrigger trigger, IScheduler scheduler, CancellationToken ct = default)
    {
        // Called inside Quartz's store transaction, which holds SQLite's write lock: writing the audit event here
        // would wait on that lock. Record it after Quartz lets go.
        if (IdOf(trigger) is { } id && trigger.NextFireTimeUtc is { } missed)
        {
            var skipped = trigger is ICronTrigger { MisfireInstruction: CronTriggerMisfireInstruction.DoNothing };
            _ = Task.Run(() => schedules.RecordMisfireAsync(id, missed, skipped, CancellationToken.None), CancellationToken.None);
        }

        return ValueTask.CompletedTask;
    }

    private static long? IdOf(ITrigger t) => t.Key.Group == ScheduleJob.Group ? ScheduleJob.IdOf(t.Key.Name) : null;
}
