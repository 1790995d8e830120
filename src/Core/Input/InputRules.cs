using System.Globalization;

namespace Wrangler.Core.Input;

/// <summary>
/// What a person or a script may type into a name, a reason or a password, and the one message for each refusal.
/// Every check returns null when the text is fine, else a sentence that names the field and states the rule
/// (docs/hardening.md). Names are shown as who did what (audit "Who", admin lists), so they also refuse Unicode
/// format characters: U+202E turns "\u202enimda" into "admin" on screen.
/// </summary>
public static class InputRules
{
    public const int MaxName = 100;
    public const int MaxReason = 500;
    public const int MinPassword = 12;

    /// <summary>Long enough for any passphrase a person types; short enough that hashing it costs nothing.</summary>
    public const int MaxPassword = 256;

    /// <summary>Null when <paramref name="name"/> (already trimmed or not) is a name; else why not.</summary>
    public static string? NameProblem(string field, string? name)
    {
        var n = name?.Trim() ?? "";
        if (n.Length == 0)
        {
            return $"{field} is required";
        }

        if (n.Length > MaxName)
        {
            return $"{field} must be at most {MaxName} characters (was {n.Length})";
        }

        if (FirstForbidden(n, refuseFormat: true) is { } bad)
        {
            return $"{field} must not contain control or invisible formatting characters (found {Describe(n, bad)})";
        }

        return null;
    }

    /// <summary>Null when the reason is absent or fine; <paramref name="required"/> makes an absent one a problem.</summary>
    public static string? ReasonProblem(string field, string? reason, bool required = false, int max = MaxReason)
    {
        var r = reason?.Trim() ?? "";
        if (r.Length == 0)
        {
            return required ? $"{field} is required" : null;
        }

        if (r.Length > max)
        {
            return $"{field} must be at most {max} characters (was {r.Length})";
        }

        // A reason is prose and may carry right-to-left words, so bidi marks stay allowed; overrides and isolates
        // that reorder the text around them do not, nor control characters (NUL, escape sequences).
        if (FirstForbidden(r, refuseFormat: false) is { } bad)
        {
            return $"{field} must not contain control characters or bidi overrides (found {Describe(r, bad)})";
        }

        return null;
    }

    public static string? PasswordProblem(string field, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return $"{field} is required";
        }

        if (password.Length < MinPassword)
        {
            return $"{field} must have at least {MinPassword} characters";
        }

        return password.Length > MaxPassword ? $"{field} must be at most {MaxPassword} characters (was {password.Length})" : null;
    }

    /// <summary>The key names are unique by: "ADMIN" and "admin" are the same name to a person reading a list.</summary>
    public static string NameKey(string name) => name.Trim().Normalize(System.Text.NormalizationForm.FormKC).ToUpperInvariant();

    /// <summary>
    /// The text with every control and format character written out as [U+XXXX], for text stored as typed by someone
    /// unchecked (a failed sign-in's name): shown, it says what is there instead of reordering what is around it.
    /// </summary>
    public static string Reveal(string text, bool keepLineBreaks = false)
    {
        if (!text.Any(c => Hidden(c, keepLineBreaks)))
        {
            return text;
        }

        var sb = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (Hidden(c, keepLineBreaks))
            {
                sb.Append(CultureInfo.InvariantCulture, $"[U+{(int)c:X4}]");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static bool Hidden(char c, bool keepLineBreaks) =>
        !(keepLineBreaks && c is '\n' or '\r' or '\t') && CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format;

    private static int? FirstForbidden(string text, bool refuseFormat)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category == UnicodeCategory.Control || (refuseFormat ? category == UnicodeCategory.Format : IsBidiOverride(c)))
            {
                return i;
            }
        }

        return null;
    }

    // U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates: they reorder text that follows them.
    private static bool IsBidiOverride(char c) => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';

    private static string Describe(string text, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"U+{(int)text[index]:X4} at position {index + 1}");
}
