namespace Wrangler.Core.Integrations;

/// <summary>
/// A URL as it may appear in a log line, a step's detail or an error: no user:password, no query (API keys live
/// there), and for webhooks no path either (Slack-style hooks carry their secret in it).
/// </summary>
public static class SafeUrl
{
    public static string Show(Uri url, bool keepPath = true)
    {
        var origin = $"{url.Scheme}://{url.Host}{(url.IsDefaultPort ? "" : $":{url.Port}")}";
        var path = keepPath ? url.AbsolutePath : url.AbsolutePath is "/" or "" ? "/" : "/…";
        return origin + path + (url.Query.Length > 0 ? "?…" : "");
    }
}
