using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Scheduling;

public static class SchedulingServiceCollectionExtensions
{
    /// <summary>The scheduler's instance name, which is the SCHED_NAME of every Quartz row: constant, so a restarted Wrangler finds its triggers.</summary>
    public const string SchedulerName = "Wrangler";

    /// <summary>
    /// Quartz 4 with its ADO.NET store in Wrangler's own SQLite file (tables prefixed QRTZ_, created by Quartz itself when
    /// missing), its System.Text.Json serializer, and the container's TimeProvider as its clock. <see cref="ScheduleAttacher"/>
    /// puts the stored schedules in and starts the scheduler once the app has started, on the leading instance only.
    /// </summary>
    public static IServiceCollection AddWranglerScheduling(this IServiceCollection services, IConfiguration configuration, string databasePath)
    {
        services.AddOptions<SchedulingOptions>().Bind(configuration.GetSection(SchedulingOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var options = configuration.GetSection(SchedulingOptions.Section).Get<SchedulingOptions>() ?? new SchedulingOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

        services.AddSingleton<ScheduleService>();
        services.AddHostedService<ScheduleAttacher>();
        services.AddHostedService<UnattendedWatch>();
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s => s.InstanceName = SchedulerName);
            q.UseDefaultThreadPool(2);
            q.UsePersistentStore(store =>
            {
                store.UseSqlite(DatabaseSetup.ConnectionString(databasePath));
                store.UseSystemTextJsonSerializer();
                store.ProvisionSchema();
                store.ConfigureStore(o => o.MisfireThreshold = options.MisfireThreshold);
            });
            q.AddTriggerListener<MisfireListener>();
        });
        return services;
    }
}
