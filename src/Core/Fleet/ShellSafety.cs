using System.Text.RegularExpressions;

namespace Wrangler.Core.Fleet;

/// <summary>
/// The character rules inventory values must meet before any of them is put on a remote command line.
/// Quoting would cope with most of these, but refusing them at load time means a typo or a hostile
/// entry is reported to a person instead of being carried into every SSH call.
/// </summary>
public static partial class ShellSafety
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex NamePattern();

    // RFC 1123 labels, dot separated; IPv4 literals fit this too.
    [GeneratedRegex("^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex HostnamePattern();

    // Absolute; only alnum and / . - _ + @ : in components; no empty "..".
    [GeneratedRegex("^/[A-Za-z0-9/._+@:-]*$")]
    private static partial Regex PathPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._+/@:-]{0,199}$")]
    private static partial Regex BranchPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9._-]{0,31}$")]
    private static partial Regex UserPattern();

    /// <summary>A master or repository name, an environment or a datacentre.</summary>
    public static bool IsSafeName(string value) => NamePattern().IsMatch(value);

    public static bool IsSafeHostname(string value) => HostnamePattern().IsMatch(value);

    public static bool IsSafeUser(string value) => UserPattern().IsMatch(value);

    /// <summary>Branch names may not start with '-', so none can be read as an hg/git option.</summary>
    public static bool IsSafeBranch(string value) => BranchPattern().IsMatch(value) && !value.Contains("..", StringComparison.Ordinal);

    public static bool IsSafeAbsolutePath(string value) =>
        value.Length <= 1024 && PathPattern().IsMatch(value) && !value.Split('/').Contains("..");

    /// <summary>Why a path was refused, for a message a person can act on.</summary>
    public static string DescribePathProblem(string value)
    {
        if (!value.StartsWith('/'))
        {
            return "must be an absolute path";
        }

        var bad = value.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || "/._+@:-".Contains(c)));
        if (bad != default)
        {
            return char.IsControl(bad)
                ? $"contains a control character (U+{(int)bad:X4}); newlines and control characters are not allowed"
                : $"contains '{bad}'; only letters, digits and / . - _ + @ : are allowed";
        }

        return value.Split('/').Contains("..") ? "must not contain '..'" : "is too long";
    }

    /// <summary>Argv elements are quoted, so only characters that would garble logs or terminals are refused.</summary>
    public static bool IsSafeArgument(string value) => value.Length > 0 && !value.Any(char.IsControl);
}
