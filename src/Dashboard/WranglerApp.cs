using Wrangler.Core;

namespace Wrangler.Dashboard;

/// <summary>Builds the whole app; tests start the same thing on a real port.</summary>
public static class WranglerApp
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(WranglerApp).Assembly.GetName().Name,
        });
        // Static web assets (MudBlazor, site.css from the top-level wwwroot/ that src/Dashboard/wwwroot links to) also outside Development.
        builder.WebHost.UseStaticWebAssets();
        // Request logging writes the whole URL, and the hub's access_token travels in the query string (browsers cannot set
        // WebSocket headers), so this one category stays at Warning whatever the configuration says.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Services.AddWranglerCore(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddDashboard();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseDashboard();
        app.MapDashboard();
        // Followers name the leader by the address it listens on (docs/ha.md); it is known once the server has started.
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<Wrangler.Core.Leases.LeaderLease>().Url = app.Urls.FirstOrDefault());
        return app;
    }
}
