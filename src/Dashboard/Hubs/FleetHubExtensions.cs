using Microsoft.AspNetCore.SignalR;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wrangler.Dashboard.Hubs;

public static class FleetHubExtensions
{
    public static IServiceCollection AddFleetHub(this IServiceCollection services)
    {
        // Same wire format as the REST API: camelCase names (SignalR's default) and enums as camelCase strings.
        services.AddSignalR(o => o.AddFilter<HubAccessFilter>()).AddJsonProtocol(o =>
            o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        services.AddSingleton<HubAccessFilter>();
        services.AddHostedService<FleetHubBroadcaster>();
        return services;
    }

    public static IEndpointRouteBuilder MapFleetHub(this IEndpointRouteBuilder endpoints)
    {
        // Viewers and up: automation connects with an API token (header, or access_token for browsers' WebSockets).
        endpoints.MapHub<FleetHub>(FleetHub.Path).RequireAuthorization(Wrangler.Core.Auth.Roles.Viewer);
        return endpoints;
    }
}
