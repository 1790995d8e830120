using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wrangler.Dashboard.Hubs;

public static class FleetHubExtensions
{
    public static IServiceCollection AddFleetHub(this IServiceCollection services)
    {
        // Same wire format as the REST API: camelCase names (SignalR's default) and enums as camelCase strings.
        services.AddSignalR().AddJsonProtocol(o =>
            o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        services.AddHostedService<FleetHubBroadcaster>();
        return services;
    }

    public static IEndpointRouteBuilder MapFleetHub(this IEndpointRouteBuilder endpoints)
    {
        // Authorization: chain .RequireAuthorization("viewer") here once roles land (see FleetHub).
        endpoints.MapHub<FleetHub>(FleetHub.Path);
        return endpoints;
    }
}
