using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Wrangler.Core.Persistence;

namespace Wrangler.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Everything that is not UI: options, time, storage, fleet.</summary>
    public static IServiceCollection AddWranglerCore(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        services.AddOptions<WranglerOptions>()
            .Bind(configuration.GetSection(WranglerOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        services.AddDbContextFactory<WranglerDb>((sp, o) =>
        {
            var path = sp.GetRequiredService<IOptions<WranglerOptions>>().Value.Database;
            DatabaseSetup.Configure(o, Path.GetFullPath(path, contentRoot));
        });
        services.AddHostedService<DatabaseMigrator>();
        return services;
    }
}
