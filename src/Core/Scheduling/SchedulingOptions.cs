using System.ComponentModel.DataAnnotations;

namespace Wrangler.Core.Scheduling;

public sealed class SchedulingOptions
{
    public const string Section = "Wrangler:Scheduling";

    /// <summary>How late a fire may be before it counts as missed and follows the schedule's misfire policy.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The closest two fires of one schedule may be; see <see cref="ScheduleRules.DefaultMinInterval"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MinInterval { get; set; } = ScheduleRules.DefaultMinInterval;
}
