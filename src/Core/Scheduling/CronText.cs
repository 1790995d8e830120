using System.Globalization;

namespace Wrangler.Core.Scheduling;

/// <summary>
/// A Quartz cron expression in words, for a person checking at 2 a.m. that "0 0 22 ? * SUN" is what they meant.
/// Covers the shapes schedules use (fixed times, steps, day-of-week lists and ranges, days of the month); anything
/// else is described field by field rather than guessed.
/// </summary>
public static class CronText
{
    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

    public static string Describe(string cron)
    {
        var f = cron.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (f.Length is < 6 or > 7)
        {
            return $"not a cron expression (Quartz wants 6 or 7 fields, got {f.Length})";
        }

        var parts = new List<string> { Time(f[0], f[1], f[2]) };
        var day = DayPart(f[3], f[5]);
        if (day.Length > 0)
        {
            parts.Add(day);
        }

        if (f[4] is not ("*" or "?"))
        {
            parts.Add("in " + List(f[4], Month));
        }

        if (f.Length == 7 && f[6] is not ("*" or "?"))
        {
            parts.Add("in " + f[6]);
        }

        return string.Join(", ", parts);
    }

    private static string Time(string s, string m, string h)
    {
        if (IsNumber(s) && IsNumber(m) && IsNumberList(h))
        {
            var times = h.Split(',').Select(x => Clock(int.Parse(x, CultureInfo.InvariantCulture), int.Parse(m, CultureInfo.InvariantCulture), int.Parse(s, CultureInfo.InvariantCulture))).ToList();
            return "At " + Join(times);
        }

        if (IsNumber(s) && Step(m) is { } everyMinutes)
        {
            var n = everyMinutes == 1 ? "Every minute" : $"Every {everyMinutes} minutes";
            return h == "*" ? n : $"{n}, {Hours(h)}";
        }

        if (IsNumber(s) && m == "*")
        {
            return h == "*" ? "Every minute" : $"Every minute, {Hours(h)}";
        }

        if (Step(s) is { } everySeconds && m == "*" && h == "*")
        {
            return everySeconds == 1 ? "Every second" : $"Every {everySeconds} seconds";
        }

        if (IsNumber(s) && IsNumber(m) && (h == "*" || Step(h) is not null))
        {
            var minute = $"At minute {int.Parse(m, CultureInfo.InvariantCulture)}";
            return h == "*" ? minute + " of every hour" : $"{minute} of every {Step(h)} hours";
        }

        return $"At second {s}, minute {m}, hour {h}";
    }

    private static string Hours(string h) =>
        h.Split('-') is [var a, var b] && IsNumber(a) && IsNumber(b)
            ? $"between {int.Parse(a, CultureInfo.InvariantCulture):00}:00 and {int.Parse(b, CultureInfo.InvariantCulture):00}:59"
            : $"during hour(s) {h}";

    private static string DayPart(string dom, string dow)
    {
        if (dow is not ("?" or "*"))
        {
            if (dow.Contains('#', StringComparison.Ordinal) && dow.Split('#') is [var d, var nth] && Day(d) is { } dn && int.TryParse(nth, out var k))
            {
                return $"on the {Ordinal(k)} {dn} of the month";
            }

            if (dow.EndsWith('L') && Day(dow[..^1]) is { } last)
            {
                return $"on the last {last} of the month";
            }

            return "on " + List(dow, Day);
        }

        return dom switch
        {
            "*" or "?" => "every day",
            "L" => "on the last day of the month",
            "LW" => "on the last weekday of the month",
            _ when IsNumberList(dom) => "on day " + Join([.. dom.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture))]) + " of the month",
            _ => $"on day(s) {dom} of the month",
        };
    }

    private static string List(string field, Func<string, string?> name)
    {
        var items = new List<string>();
        foreach (var item in field.Split(','))
        {
            if (item.Split('-') is [var a, var b] && name(a) is { } from && name(b) is { } to)
            {
                items.Add($"{from} to {to}");
            }
            else
            {
                items.Add(name(item) ?? item);
            }
        }

        return Join(items);
    }

    private static string? Day(string x)
    {
        var i = Array.IndexOf(DayNames, x.ToUpperInvariant());
        if (i < 0 && int.TryParse(x, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 7)
        {
            i = n - 1; // Quartz: 1 = Sunday
        }

        return i >= 0 ? Days[i] : null;
    }

    private static string? Month(string x)
    {
        var i = Array.IndexOf(MonthNames, x.ToUpperInvariant());
        if (i < 0 && int.TryParse(x, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 12)
        {
            i = n - 1;
        }

        return i >= 0 ? CultureInfo.InvariantCulture.DateTimeFormat.MonthNames[i] : null;
    }

    private static int? Step(string x) =>
        x.Split('/') is [var start, var n] && start is "*" or "0" && int.TryParse(n, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;

    private static bool IsNumber(string x) => x.Length > 0 && x.All(char.IsAsciiDigit);

    private static bool IsNumberList(string x) => x.Split(',').All(IsNumber);

    private static string Clock(int h, int m, int s) => s == 0 ? $"{h:00}:{m:00}" : $"{h:00}:{m:00}:{s:00}";

    private static string Ordinal(int k) => k switch { 1 => "first", 2 => "second", 3 => "third", 4 => "fourth", 5 => "fifth", _ => $"{k}th" };

    private static string Join(IReadOnlyList<string> items) => items.Count switch
    {
        0 => "",
        1 => items[0],
        _ => string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1],
    };
}
