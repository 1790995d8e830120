using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Wrangler.Core;
using Wrangler.Core.Auth;
using Wrangler.Dashboard.Api;
using Wrangler.Dashboard.Auth;
using Wrangler.Dashboard.Components;
using Wrangler.Dashboard.Hubs;

namespace Wrangler.Dashboard;

public static class DashboardExtensions
{
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddDashboardAuth();
        services.AddOpenApi();
        services.AddApiProblems();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        services.AddDataProtection();
        // Keys live next to the database so login cookies and antiforgery tokens survive a restart;
        // the path comes from bound options because Wrangler:Database may be set after AddDashboard.
        services.AddOptions<KeyManagementOptions>()
            .Configure<IOptions<WranglerOptions>, IHostEnvironment, ILoggerFactory>((o, wrangler, env, logs) =>
                o.XmlRepository = new FileSystemXmlRepository(KeysDirectory(wrangler.Value, env), logs));
        services.ConfigureHttpJsonOptions(o =>
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));
        services.AddFleetHub();
        return services;
    }

    /// <summary><c>{directory of Wrangler:Database}/keys</c>, private to this user: the key files are not encrypted at rest on Linux.</summary>
    public static DirectoryInfo KeysDirectory(WranglerOptions options, IHostEnvironment env)
    {
        var database = Path.GetFullPath(options.Database, env.ContentRootPath);
        var keys = Path.Combine(Path.GetDirectoryName(database) ?? env.ContentRootPath, "keys");
        return OperatingSystem.IsWindows()
            ? Directory.CreateDirectory(keys)
            : Directory.CreateDirectory(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public static WebApplication UseDashboard(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        app.UseApiProblems();
        app.UseDashboardAuth();
        app.UseAuthenticationBeforeMediaType();
        app.UseFollowerWrites();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapOpenApi();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = DatabaseHealthCheck.WriteAsync });
        app.MapLoginEndpoints();
        // Every API endpoint needs at least a viewer; writes add their own stricter policy.
        // Cycle reports are a reporter token's only endpoint, and only a reporter's: outside the viewer group.
        app.MapGroup("/api/v1").RequireAuthorization(Roles.Reporter).MapCycleReportApi();
        app.MapGroup("/api/v1").RequireAuthorization(Roles.Viewer).MapMastersApi().MapInventoryApi().MapCampaignsApi().MapSchedulesApi().MapAdminApi().MapAuditApi().MapSyncApi().MapWorkersApi().MapInstanceApi();
        app.MapFleetHub();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
