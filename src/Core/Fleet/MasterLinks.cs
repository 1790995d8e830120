namespace Wrangler.Core.Fleet;

/// <summary>Links into a master's own Buildbot web UI, derived from its REST API address.</summary>
public static class MasterLinks
{
    public static Uri WebUrl(this MasterInfo master)
    {
        var api = master.ApiUrl.AbsoluteUri;
        var i = api.LastIndexOf("/api/v2", StringComparison.Ordinal);
        return new Uri(i >= 0 ? api[..(i + 1)] : new Uri(master.ApiUrl, "/").AbsoluteUri);
    }

    public static Uri BuildUrl(this MasterInfo master, int builderId, int number) =>
        new(master.WebUrl(), $"#/builders/{builderId}/builds/{number}");

    public static Uri WorkerUrl(this MasterInfo master, string worker) =>
        new(master.WebUrl(), $"#/workers?name={Uri.EscapeDataString(worker)}");
}
