using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using Wrangler.Core.Auth;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Demo;
using Wrangler.Core.Integrations;
using Wrangler.Core.Leases;
using Wrangler.Core.Fleet;
using Wrangler.Core.Persistence;
using Wrangler.Core.Remote;
using Wrangler.Core.Scheduling;
using Wrangler.Core.Sync;
using Wrangler.Core.Workers;

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

        // Read here rather than from IOptions: Quartz's store takes its connection string while services are registered.
        var databasePath = Path.GetFullPath(configuration[$"{WranglerOptions.Section}:{nameof(WranglerOptions.Database)}"] ?? new WranglerOptions().Database, contentRoot);
        services.AddDbContextFactory<WranglerDb>(o => DatabaseSetup.Configure(o, databasePath));
        services.AddHostedService<DatabaseMigrator>();
        // Right after the migrations: the lease decides whether the runner, the scheduler and auto-reconfig act here.
        services.AddSingleton<LeaderLease>();
        services.AddHostedService(sp => sp.GetRequiredService<LeaderLease>());
        services.AddWranglerAuth(configuration);

        services.AddWranglerRemote(configuration);
        var inventoryPath = configuration[$"{WranglerOptions.Section}:{nameof(WranglerOptions.Inventory)}"];
        if (string.IsNullOrWhiteSpace(inventoryPath))
        {
            services.AddDemoFleet(configuration);
        }
        else
        {
            var full = Path.GetFullPath(inventoryPath, contentRoot);
            services.AddSingleton<IInventorySource>(sp => new InventoryFile(full, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<InventoryFile>>()));
            services.AddSingleton<IRepoTips, UpstreamTips>();
        }

        services.AddSingleton<IInventoryView>(sp => sp.GetRequiredService<IInventorySource>());
        services.AddSingleton<FleetMonitor>();
        services.AddSingleton<IFleetMonitor>(sp => sp.GetRequiredService<FleetMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<FleetMonitor>());

        services.AddWranglerIntegrations(configuration);
        services.AddSingleton<DecisionBoard>();
        services.AddSingleton<CampaignService>();
        services.AddSingleton<StepRunner>();
        services.AddSingleton<StepOutputLog>();
        services.AddHostedService<CampaignRunner>();

        services.AddWranglerScheduling(configuration, databasePath);
        services.AddWranglerSync(configuration, contentRoot);
        services.AddWranglerWorkers(configuration);
        return services;
    }

    /// <summary>The built-in simulated fleet, used when no inventory is configured; it answers every operation the real layers do.</summary>
    private static void AddDemoFleet(this IServiceCollection services, IConfiguration configuration)
    {
        var seed = configuration.GetValue<int?>("Wrangler:Demo:Seed");
        var size = configuration.GetValue("Wrangler:Demo:Masters", DemoInventory.BaseSize);
        services.AddSingleton(sp => new DemoFleet(sp.GetRequiredService<TimeProvider>(), seed, size));
        services.Replace(ServiceDescriptor.Singleton<IFleetAccess>(sp => sp.GetRequiredService<DemoFleet>()));
        services.AddSingleton<IRepoTips>(sp => sp.GetRequiredService<DemoFleet>());
        services.AddSingleton<IInventorySource>(sp =>
            new StaticInventory(sp.GetRequiredService<DemoFleet>().Masters, $"built-in demo fleet (seed {sp.GetRequiredService<DemoFleet>().Seed})", true, sp.GetRequiredService<TimeProvider>()));
    }
}
