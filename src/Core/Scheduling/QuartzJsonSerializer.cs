using System.Text.Json;
using Quartz;
using Quartz.Impl.Calendar;
using Quartz.Spi;

namespace Wrangler.Core.Scheduling;

/// <summary>
/// Quartz's ADO.NET store serializes job data maps and calendars into BLOB columns. Its only built-in serializer is
/// BinaryFormatter (gone in .NET 9) and the System.Text.Json one is a separate package not served here, so this writes
/// the two shapes Wrangler stores as JSON: string-only job data and holiday calendars. Anything else is refused loudly
/// rather than stored in a form the next start could not read.
/// </summary>
public sealed class QuartzJsonSerializer : IObjectSerializer
{
    private sealed record Blob(string Type, Dictionary<string, string?>? Data = null, string? TimeZone = null, List<DateTime>? Dates = null, string? Description = null);

    public void Initialize()
    {
    }

    public byte[] Serialize<T>(T obj) where T : class
    {
        Blob blob = obj switch
        {
            JobDataMap map => new Blob("jobData", Data: map.ToDictionary(kv => kv.Key, kv => kv.Value as string ?? kv.Value?.ToString())),
            HolidayCalendar cal when cal.CalendarBase is null => new Blob("holiday", TimeZone: cal.TimeZone.Id, Dates: [.. cal.ExcludedDates], Description: cal.Description),
            _ => throw new NotSupportedException($"Wrangler's Quartz store keeps only string job data and holiday calendars, not {obj.GetType().Name}"),
        };
        return JsonSerializer.SerializeToUtf8Bytes(blob);
    }

    public T? DeSerialize<T>(byte[] obj) where T : class
    {
        var blob = JsonSerializer.Deserialize<Blob>(obj) ?? throw new FormatException("empty Quartz blob");
        object result = blob.Type switch
        {
            "jobData" => new JobDataMap((IDictionary<string, object>)(blob.Data ?? []).ToDictionary(kv => kv.Key, kv => (object)(kv.Value ?? ""))),
            "holiday" => Holiday(blob),
            _ => throw new FormatException($"unknown Quartz blob type {blob.Type}"),
        };
        return (T)result;
    }

    private static HolidayCalendar Holiday(Blob blob)
    {
        var cal = new HolidayCalendar { TimeZone = TimeZoneInfo.FindSystemTimeZoneById(blob.TimeZone ?? "UTC"), Description = blob.Description };
        foreach (var d in blob.Dates ?? [])
        {
            cal.AddExcludedDate(d);
        }

        return cal;
    }
}
