using System.Globalization;
using System.Text.RegularExpressions;

namespace Wrangler.Core.Buildbot;

/// <summary>
/// Recognises the lines of a Buildbot 3.7 master's twistd.log that tell what the master is doing
/// (BUILDBOT.md §5). Twisted prefixes each line with "yyyy-MM-dd HH:mm:ss+zzzz [system] ".
/// </summary>
public static partial class TwistdLogParser
{
    [GeneratedRegex(@"^(?<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?[+-]\d{4}) \[[^\]]*\] (?<msg>.*)$")]
    private static partial Regex LinePattern();

    [GeneratedRegex(@"^Waiting for (?<n>\d+) build\(s\) to finish")]
    private static partial Regex WaitingPattern();

    // Ordered: the more specific texts first. Each is the start (or the whole) of the message.
    private static readonly (string Text, MasterLogEventKind Kind, bool Exact)[] Markers =
    [
        ("BuildMaster is running", MasterLogEventKind.Started, true),
        ("BuildMaster startup failed", MasterLogEventKind.StartupFailed, false),
        ("beginning configuration update", MasterLogEventKind.ReconfigBegun, false),
        ("configuration update complete", MasterLogEventKind.ReconfigComplete, false),
        ("configuration update aborted without making any changes", MasterLogEventKind.ReconfigAborted, false),
        ("WARNING: configuration update partially applied", MasterLogEventKind.ReconfigPartiallyApplied, false),
        ("Initiating clean shutdown", MasterLogEventKind.CleanShutdownInitiated, false),
        ("Server Shut Down.", MasterLogEventKind.ShutDown, true),
    ];

    /// <summary>
    /// The event a line stands for, or null. <paramref name="fallback"/> is used as the time when the line has
    /// no parsable timestamp (e.g. a multi-line message's continuation).
    /// </summary>
    public static MasterLogEvent? Parse(string line, DateTimeOffset fallback)
    {
        ArgumentNullException.ThrowIfNull(line);
        var at = fallback;
        var message = line.TrimEnd('\r');
        var m = LinePattern().Match(message);
        if (m.Success)
        {
            message = m.Groups["msg"].Value;
            if (DateTimeOffset.TryParseExact(m.Groups["ts"].Value, ["yyyy-MM-dd HH:mm:sszzzz", "yyyy-MM-dd HH:mm:ss.FFFFFFFzzzz"],
                    CultureInfo.InvariantCulture, DateTimeStyles.None, out var ts))
            {
                at = ts;
            }
        }

        message = message.Trim();
        var waiting = WaitingPattern().Match(message);
        if (waiting.Success)
        {
            return new MasterLogEvent(MasterLogEventKind.WaitingForBuilds, at, line,
                int.Parse(waiting.Groups["n"].Value, CultureInfo.InvariantCulture));
        }

        foreach (var (text, kind, exact) in Markers)
        {
            if (exact ? message == text : message.StartsWith(text, StringComparison.Ordinal))
            {
                return new MasterLogEvent(kind, at, line);
            }
        }

        return null;
    }

    /// <summary>The events among <paramref name="lines"/>, in order.</summary>
    public static IReadOnlyList<MasterLogEvent> ParseAll(IEnumerable<string> lines, DateTimeOffset fallback) =>
        lines.Select(l => Parse(l, fallback)).OfType<MasterLogEvent>().ToList();
}
