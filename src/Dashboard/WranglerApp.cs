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
        // Static web assets (Radzen, site.css from the top-level wwwroot/ that src/Dashboard/wwwroot links to) also outside Development.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddWranglerCore(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddDashboard();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseDashboard();
        app.MapDashboard();
        return app;
    }
}
