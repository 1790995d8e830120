using Wrangler.Core.Campaigns;

namespace Wrangler.Core.Input;

/// <summary>
/// The policy numbers a fleet can mean. Beyond them a value is a typo or a probe: perBucket = 2147483647 or
/// drainTimeout = TimeSpan.MaxValue plan fine and then overflow the downtime a campaign asks monitoring for
/// (drain + stop + start must still be a TimeSpan after it is added to now). docs/hardening.md lists them.
/// </summary>
public static class CampaignLimits
{
    /// <summary>Far more masters than any fleet has in one bucket or one campaign; a bound, not a target.</summary>
    public const int MaxMasters = 1000;

    /// <summary>A drain of a week is already a campaign nobody watches; longer is a mistake.</summary>
    public static readonly TimeSpan MaxDrainTimeout = TimeSpan.FromDays(7);

    /// <summary>Problems with the policy's numbers and the request's reason, each naming its field and the rule.</summary>
    public static IReadOnlyList<string> Problems(CampaignRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<string>();
        if (request.Policy is { } p)
        {
            Range(problems, "perBucket", p.PerBucket);
            Range(problems, "maxParallel", p.MaxParallel);
            Range(problems, "failureThreshold", p.FailureThreshold);
            if (p.DrainTimeout > MaxDrainTimeout)
            {
                problems.Add($"drainTimeout must be at most {MaxDrainTimeout:c} (was {p.DrainTimeout:c})");
            }
        }

        if (InputRules.ReasonProblem("reason", request.Reason) is { } reason)
        {
            problems.Add(reason);
        }

        if (request.Selector is { } s)
        {
            // Each entry is matched against inventory names; an entry no inventory could hold is refused, not searched for.
            foreach (var (field, list) in new[] { ("names", s.Names), ("buckets", s.Buckets), ("datacentres", s.Datacentres) })
            {
                if (!list.IsDefault && list.Length > MaxMasters)
                {
                    problems.Add($"selector.{field} must list at most {MaxMasters} entries (was {list.Length})");
                }
                else if (!list.IsDefault && list.Any(x => string.IsNullOrEmpty(x) || x.Length > InputRules.MaxName))
                {
                    problems.Add($"selector.{field} entries must be 1 to {InputRules.MaxName} characters");
                }
            }
        }

        return problems;
    }

    private static void Range(List<string> problems, string field, int value)
    {
        // Below 1 is CampaignPlanner.Validate's own rule (with its own words); only the upper bound is added here.
        if (value > MaxMasters)
        {
            problems.Add($"{field} must be at most {MaxMasters} (was {value})");
        }
    }
}
