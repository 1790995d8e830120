using System.Globalization;
using Wrangler.Core.Fleet;

namespace Wrangler.Dashboard.Model;

/// <summary>How states, times and revisions are written on every page, so they read the same everywhere.</summary>
public static class Display
{
    public static string Label(MasterStatus s) => s switch
    {
        MasterStatus.Running => "running",
        MasterStatus.Draining => "draining",
        MasterStatus.Stopped => "stopped",
        MasterStatus.Starting => "starting",
        MasterStatus.Reconfiguring => "reconfiguring",
        MasterStatus.Unreachable => "unreachable",
        MasterStatus.Disabled => "disabled",
        _ => s.ToString().ToLowerInvariant(),
    };

    /// <summary>The CSS class of a state: the colour means the same on every page (site.css).</summary>
    public static string Tone(MasterStatus s) => s switch
    {
        MasterStatus.Running => "ok",
        MasterStatus.Draining or MasterStatus.Starting or MasterStatus.Reconfiguring => "progress",
        MasterStatus.Stopped => "warn",
        MasterStatus.Unreachable => "bad",
        _ => "idle",
    };

    /// <summary>The theme colour of a state, the same meaning as <see cref="Tone"/>.</summary>
    public static MudBlazor.Color Color(MasterStatus s) => Tone(s) switch
    {
        "ok" => MudBlazor.Color.Success,
        "progress" => MudBlazor.Color.Info,
        "warn" => MudBlazor.Color.Warning,
        "bad" => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Default,
    };

    /// <summary>Every state also has its own shape, so it never depends on telling red from green.</summary>
    public static string Icon(MasterStatus s) => s switch
    {
        MasterStatus.Running => MudBlazor.Icons.Material.Filled.CheckCircle,
        MasterStatus.Draining => MudBlazor.Icons.Material.Filled.HourglassBottom,
        MasterStatus.Starting => MudBlazor.Icons.Material.Filled.PlayCircle,
        MasterStatus.Reconfiguring => MudBlazor.Icons.Material.Filled.Sync,
        MasterStatus.Stopped => MudBlazor.Icons.Material.Filled.StopCircle,
        MasterStatus.Unreachable => MudBlazor.Icons.Material.Filled.CloudOff,
        _ => MudBlazor.Icons.Material.Filled.Block,
    };

    public static string Short(string? revision, int length = 12) => revision is null ? "—" : revision.Length > length ? revision[..length] : revision;

    public static string Ago(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is null)
        {
            return "—";
        }

        var d = now - at.Value;
        return d < TimeSpan.Zero ? "just now" : Span(d) + " ago";
    }

    public static string Span(TimeSpan? span)
    {
        if (span is not { } d)
        {
            return "—";
        }

        return d.TotalSeconds < 60 ? $"{Math.Max(0, (int)d.TotalSeconds)}s"
            : d.TotalMinutes < 60 ? $"{(int)d.TotalMinutes}m"
            : d.TotalHours < 48 ? $"{(int)d.TotalHours}h {d.Minutes}m"
            : $"{(int)d.TotalDays}d {d.Hours}h";
    }

    public static string Utc(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "never";
}
