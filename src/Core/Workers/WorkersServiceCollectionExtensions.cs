using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Wrangler.Core.Workers;

public static class WorkersServiceCollectionExtensions
{
    /// <summary>The worker tracker (events plus REST), worker control and timed-pause lifting.</summary>
    public static IServiceCollection AddWranglerWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkerOptions>()
            .Bind(configuration.GetSection(WorkerOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.MissingAfter > TimeSpan.Zero && o.CycleDeadline > TimeSpan.Zero && o.BuildHistory > TimeSpan.Zero,
                $"{WorkerOptions.Section}: MissingAfter, CycleDeadline and BuildHistory must be positive")
            .Validate(o => o.PoolPattern is null || IsRegex(o.PoolPattern), $"{WorkerOptions.Section}:PoolPattern must be a regular expression")
            .ValidateOnStart();
        services.AddSingleton<WorkerTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerTracker>());
        services.AddSingleton<CycleReports>();
        services.AddSingleton<WorkerControl>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerControl>());
        return services;
    }

    private static bool IsRegex(string pattern)
    {
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
