namespace Wrangler.Dashboard.Model;

/// <summary>
/// Light or dark, decided on the server so the first paint is already right (no flash at 2 a.m.). The
/// <see cref="Cookie"/> the app bar's toggle writes wins. Without it the browser's own preference rules; the layout
/// reads it after the first render and keeps it in <see cref="SeenCookie"/>, so the next page arrives right too.
/// </summary>
public static class ThemePreference
{
    public const string Cookie = "wrangler-theme";
    public const string SeenCookie = "wrangler-theme-seen";

    /// <summary>Dark or not (null: nothing known yet), and whether a person chose it (else the browser's preference).</summary>
    public static (bool? Dark, bool Chosen) Read(HttpRequest request) =>
        Parse(request.Cookies[Cookie]) is { } chosen ? (chosen, true) : (Parse(request.Cookies[SeenCookie]), false);

    public static bool? Parse(string? value) => value switch
    {
        "dark" => true,
        "light" => false,
        _ => null,
    };
}
