using System.Text;

namespace Wrangler.Core.Remote;

/// <summary>
/// Quoting for the remote POSIX shell. ssh sends one string that the login shell re-parses, so every argv
/// element is single-quoted (the only quoting in which no character is special) unless it is plainly safe.
/// </summary>
public static class ShellQuote
{
    public static string Quote(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (argument.Contains('\0'))
        {
            throw new ArgumentException("A NUL character cannot be passed through a shell.", nameof(argument));
        }

        if (argument.Length > 0 && argument.All(IsPlain))
        {
            return argument;
        }

        // 'it'\''s': close the quote, emit an escaped quote, reopen.
        return "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    public static string Join(IEnumerable<string> argv)
    {
        var sb = new StringBuilder();
        foreach (var a in argv)
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(Quote(a));
        }

        return sb.ToString();
    }

    // '=' is left out on purpose: "a=b" as the first word would be an assignment.
    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '+' or '@' or ':' or ',' or '%';
}
