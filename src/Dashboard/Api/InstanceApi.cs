using Wrangler.Core.Leases;

namespace Wrangler.Dashboard.Api;

public static class InstanceApi
{
    public static RouteGroupBuilder MapInstanceApi(this RouteGroupBuilder api)
    {
        api.MapGet("/instance", (LeaderLease lease) => lease.Current)
            .WithTags("Instance")
            .WithSummary("This Wrangler's name, whether it leads (runs campaigns and schedules) and which instance does (docs/ha.md).");
        return api;
    }
}
