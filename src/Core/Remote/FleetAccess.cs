using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Remote;

/// <summary>The real fleet: SSH for hosts, HTTP for Buildbot.</summary>
public sealed class FleetAccess(ISshRunner runner, IHttpClientFactory httpClients, TimeProvider time, IInventoryView? inventory = null) : IFleetAccess
{
    public const string HttpClientName = "buildbot";

    public IMasterHost Host(MasterInfo master) => new SshMasterHost(runner, master, time);

    public IBuildbotApi Api(MasterInfo master) =>
        new BuildbotClient(httpClients.CreateClient(HttpClientName), master.ApiUrl, inventory is null ? null : Locate);

    // Buildbot names a master "<hostname>:<basedir of the master>", which is our master_dir.
    private Uri? Locate(BuildbotMaster bm)
    {
        var colon = bm.Name.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || inventory is null)
        {
            return null;
        }

        var host = bm.Name[..colon];
        var dir = bm.Name[(colon + 1)..].TrimEnd('/');
        var candidates = inventory.Masters.Where(m => m.MasterDir == dir).ToList();
        var match = candidates.Count == 1
            ? candidates[0]
            : candidates.FirstOrDefault(m => m.Hostname.Equals(host, StringComparison.OrdinalIgnoreCase)
                                            || m.Hostname.Split('.')[0].Equals(host.Split('.')[0], StringComparison.OrdinalIgnoreCase));
        return match?.ApiUrl;
    }
}
