using System.Collections.Immutable;
using Quartz;
using Quartz.Impl.Calendar;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Input;

namespace Wrangler.Core.Scheduling;

/// <summary>What a fire of a schedule should do: start a campaign with a deadline, or record why not.</summary>
public sealed record FireDecision(bool Run, DateTimeOffset? Occurrence, DateTimeOffset? NotAfter, string Reason);

/// <summary>Pure rules of schedules: validation, next fire times, and what a late fire does. No clock of its own.</summary>
public static class ScheduleRules
{
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(7);

    /// <summary>Longer than any cron a person writes; the limit keeps a pasted megabyte out of the parser and the reply.</summary>
    public const int MaxCron = 200;

    /// <summary>
    /// Fires closer together than this are refused (<c>Wrangler:Scheduling:MinInterval</c>): a campaign every second is
    /// a typo in the seconds field, and each fire writes a campaign and audit rows.
    /// </summary>
    public static readonly TimeSpan DefaultMinInterval = TimeSpan.FromMinutes(5);

    public static IReadOnlyList<string> Validate(ScheduleSpec spec, TimeSpan? minInterval = null)
    {
        var problems = new List<string>();
        if (InputRules.NameProblem("name", spec.Name) is { } name)
        {
            problems.Add(name);
        }

        if (InputRules.ReasonProblem("reason", spec.Reason) is { } reason)
        {
            problems.Add(reason);
        }

        var cron = CronProblem(spec.Cron);
        if (cron is not null)
        {
            problems.Add(cron);
        }

        var zone = ZoneProblem(spec.TimeZone);
        if (zone is not null)
        {
            problems.Add(zone);
        }

        if (cron is null && zone is null && IntervalProblem(spec.Cron, spec.TimeZone, minInterval ?? DefaultMinInterval) is { } interval)
        {
            problems.Add(interval);
        }

        if (spec.Window < TimeSpan.FromSeconds(1) || spec.Window > MaxWindow)
        {
            problems.Add($"window must be between 00:00:01 and {MaxWindow:c}");
        }

        if (!Enum.IsDefined(spec.Misfire))
        {
            problems.Add("misfire must be runLate or skip");
        }

        if (spec.Policy is { } p && !Enum.IsDefined(p.Approval))
        {
            // Overridden below (a schedule's campaigns are pre-approved), but a value that means nothing is still refused.
            problems.Add($"policy.approval {(int)p.Approval} is not one of plan, wave, none (a schedule's campaigns always run with none)");
        }

        var request = ToRequest(spec);
        problems.AddRange(CampaignPlanner.Validate(request));
        if (request.Selector is { } s && CampaignPlanner.IsEmpty(s))
        {
            // Unattended and pre-approved: "everything" must be said by naming roles, buckets or datacentres.
            problems.Add("selector: an unattended schedule must select masters by name, role, bucket or datacentre");
        }

        return problems;
    }

    /// <summary>The campaign a schedule fires: its template with approval "none" (the schedule's owner approved it).</summary>
    public static CampaignRequest ToRequest(ScheduleSpec spec) =>
        new CampaignRequest(spec.Kind, spec.Selector, (spec.Policy ?? new CampaignPolicy()) with { Approval = ApprovalMode.None },
            spec.Reason ?? $"schedule {spec.Name?.Trim()}").Normalized();

    public static string? CronProblem(string? cron)
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            return "cron is required (Quartz format: second minute hour day-of-month month day-of-week, e.g. \"0 0 22 ? * SUN\")";
        }

        if (cron.Length > MaxCron)
        {
            return $"cron must be at most {MaxCron} characters (was {cron.Length})";
        }

        try
        {
            // Quartz 3 refused a day-of-month and a day-of-week together; Quartz 4 takes it, but a person reading
            // "0 0 22 * * SUN" cannot tell whether it means every day or Sundays, so it stays refused.
            var fields = cron.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 6 && fields[3] != "?" && fields[5] != "?")
            {
                return $"cron \"{cron.Trim()}\" is not valid: give '?' as the day-of-month (4th field) or the day-of-week (6th field), not both";
            }

            var next = CronExpression.Parse(cron.Trim()).GetNextValidTimeAfter(DateTimeOffset.UnixEpoch);
            return next is null ? $"cron \"{cron.Trim()}\" never fires" : null;
        }
        catch (FormatException ex)
        {
            return $"cron \"{cron.Trim()}\" is not valid: {ex.Message}";
        }
    }

    /// <summary>
    /// The closest two of the cron's first fire times: enough to catch a wildcard seconds or minutes field, and a
    /// burst of listed seconds, without walking a whole year.
    /// </summary>
    public static string? IntervalProblem(string cron, string zone, TimeSpan minInterval)
    {
        var expr = Cron(cron, zone);
        DateTimeOffset? previous = null;
        var closest = TimeSpan.MaxValue;
        var t = expr.GetNextValidTimeAfter(DateTimeOffset.UnixEpoch);
        for (var i = 0; i < 50 && t is { } at; i++, t = expr.GetNextValidTimeAfter(at))
        {
            if (previous is { } p && at - p < closest)
            {
                closest = at - p;
            }

            previous = at;
        }

        return closest < minInterval
            ? $"cron \"{cron.Trim()}\" fires {closest:c} apart; schedules may fire at most once every {minInterval:c} (Wrangler:Scheduling:MinInterval)"
            : null;
    }

    public static string? ZoneProblem(string? zone)
    {
        if (string.IsNullOrWhiteSpace(zone))
        {
            return "time zone is required (an IANA id such as America/Los_Angeles or UTC)";
        }

        if (zone.Length > 100)
        {
            return $"time zone must be at most 100 characters (was {zone.Length})";
        }

        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(zone.Trim());
            return null;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return $"time zone \"{zone.Trim()}\" is unknown (use an IANA id such as America/Los_Angeles or UTC)";
        }
    }

    public static CronExpression Cron(string cron, string zone) => new(cron.Trim(), TimeZoneInfo.FindSystemTimeZoneById(zone.Trim()));

    /// <summary>The Quartz calendar a schedule's trigger is modified by: the excluded dates, read in the schedule's zone.</summary>
    public static HolidayCalendar Calendar(string zone, IEnumerable<DateOnly> excluded)
    {
        var cal = new HolidayCalendar { TimeZone = TimeZoneInfo.FindSystemTimeZoneById(zone.Trim()), Description = "Wrangler excluded dates" };
        foreach (var d in excluded)
        {
            cal.AddExcludedDay(d);
        }

        return cal;
    }

    public static ImmutableArray<DateTimeOffset> NextFireTimes(string cron, string zone, IEnumerable<DateOnly> excluded, DateTimeOffset after, int count)
    {
        var expr = Cron(cron, zone);
        var cal = Calendar(zone, excluded);
        var list = ImmutableArray.CreateBuilder<DateTimeOffset>();
        var t = after;

        // Bounded: a cron that only fires on excluded days must not loop for ever.
        for (var i = 0; i < 10_000 && list.Count < count; i++)
        {
            if (expr.GetNextValidTimeAfter(t) is not { } next)
            {
                break;
            }

            if (cal.IsTimeIncluded(next))
            {
                list.Add(next);
            }

            t = next;
        }

        return list.ToImmutable();
    }

    /// <summary>
    /// Decides a fire. <paramref name="scheduled"/> is Quartz's scheduled time: the cron time itself, or (for a misfire
    /// fired "once now") possibly the time of the late fire; then the latest cron time within the window is the one
    /// that fires. A fire later than <paramref name="misfireThreshold"/> is a misfire and follows the policy.
    /// </summary>
    public static FireDecision Decide(string cron, string zone, IEnumerable<DateOnly> excluded, TimeSpan window, MisfirePolicy policy, TimeSpan misfireThreshold,
        DateTimeOffset scheduled, DateTimeOffset now)
    {
        var expr = Cron(cron, zone);
        var cal = Calendar(zone, excluded);
        DateTimeOffset? occurrence = expr.IsSatisfiedBy(scheduled) ? scheduled : null;
        if (occurrence is null)
        {
            for (var t = expr.GetNextValidTimeAfter(now - window - TimeSpan.FromSeconds(1)); t is { } x && x <= now; t = expr.GetNextValidTimeAfter(x))
            {
                if (cal.IsTimeIncluded(x))
                {
                    occurrence = x;
                }
            }
        }

        if (occurrence is not { } at)
        {
            return new FireDecision(false, null, null, $"no fire time of the schedule within the last {window:c}: nothing to run late");
        }

        if (!cal.IsTimeIncluded(at))
        {
            return new FireDecision(false, at, null, $"{at:u} is an excluded date");
        }

        var deadline = at + window;
        if (now >= deadline)
        {
            return new FireDecision(false, at, deadline, $"the window of the fire time {at:u} closed at {deadline:u}");
        }

        var late = now - at;
        if (late > misfireThreshold && policy == MisfirePolicy.Skip)
        {
            return new FireDecision(false, at, deadline, $"the fire time {at:u} was missed by {late:hh\\:mm\\:ss} and the misfire policy is skip");
        }

        return new FireDecision(true, at, deadline, late > misfireThreshold ? $"running late ({late:hh\\:mm\\:ss} after {at:u}), within the window" : "on time");
    }
}
