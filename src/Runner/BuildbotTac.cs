using System.Text.RegularExpressions;

namespace Wrangler.Runner;

/// <summary>
/// The runner asks for a graceful shutdown by touching <c>shutdown.stamp</c>, which the worker only watches when
/// <c>buildbot.tac</c> says <c>allow_shutdown = 'file'</c> (BUILDBOT.md §11, <c>create-worker --allow-shutdown=file</c>).
/// </summary>
public static partial class BuildbotTac
{
    /// <summary>Null when the worker watches the stamp; otherwise what is wrong and how to fix it.</summary>
    public static string? Problem(string basedir)
    {
        var tac = Path.Combine(basedir, "buildbot.tac");
        if (!File.Exists(tac))
        {
            return $"{tac} does not exist: create the worker first (buildbot-worker create-worker --allow-shutdown=file {basedir} MASTER NAME PASSWORD)";
        }

        var m = AllowShutdown().Match(File.ReadAllText(tac));
        var value = m.Success && m.Groups["v"].Success ? m.Groups["v"].Value : null;
        return value == "file" ? null
            : $"{tac} has allow_shutdown = {(value is null ? "None (not set)" : $"'{value}'")}: the worker would ignore shutdown.stamp, so the runner could not stop it gracefully. "
              + "Re-create it with buildbot-worker create-worker --allow-shutdown=file, or set allow_shutdown = 'file' in buildbot.tac";
    }

    // create-worker writes `allow_shutdown = 'file'` and passes the variable on; a hand-written tac may pass the
    // literal as a keyword argument (`Worker(..., allow_shutdown='file', ...)`). The first literal assignment counts.
    [GeneratedRegex(@"\ballow_shutdown\s*=\s*(?:'(?<v>[^']*)'|""(?<v>[^""]*)""|None\b)")]
    private static partial Regex AllowShutdown();
}
