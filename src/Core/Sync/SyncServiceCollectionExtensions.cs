using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Wrangler.Core.Sync;

public static class SyncServiceCollectionExtensions
{
    /// <summary>The production watcher (auto-reconfig off unless <c>Wrangler:Sync:AutoReconfig</c>), freeze, live revisions, production log.</summary>
    public static IServiceCollection AddWranglerSync(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        services.AddOptions<SyncOptions>()
            .Bind(configuration.GetSection(SyncOptions.SectionName))
            .Validate(o => o.QuietWindow >= TimeSpan.Zero, $"{SyncOptions.SectionName}:QuietWindow must not be negative")
            .Validate(o => o.DriftAlarmAfter > TimeSpan.Zero, $"{SyncOptions.SectionName}:DriftAlarmAfter must be positive")
            .Validate(o => o.CiStatusUrl is null || IsHttpUrl(o.CiStatusUrl), $"{SyncOptions.SectionName}:CiStatusUrl must be an absolute http(s) URL")
            .Validate(o => o.BugUrl is null || IsHttpUrl(o.BugUrl.Replace("{id}", "1", StringComparison.Ordinal)) && o.BugUrl.Contains("{id}", StringComparison.Ordinal),
                $"{SyncOptions.SectionName}:BugUrl must be an absolute http(s) URL containing {{id}}")
            .Validate(o => o.Policy.PerBucket >= 1 && o.Policy.MaxParallel >= 1 && o.Policy.FailureThreshold >= 1,
                $"{SyncOptions.SectionName}:Policy: PerBucket, MaxParallel and FailureThreshold must be at least 1")
            .ValidateOnStart();
        services.AddHttpClient(CiStatus.HttpClientName);
        services.AddSingleton<CiStatus>();
        services.AddSingleton<FreezeService>();
        services.AddSingleton(sp => new UpstreamMirror(configuration, sp.GetRequiredService<IOptions<SyncOptions>>(), sp.GetRequiredService<IOptions<WranglerOptions>>(),
            contentRoot, sp.GetRequiredService<ILogger<UpstreamMirror>>()));
        services.AddSingleton<LiveRevisions>();
        services.AddSingleton<ProductionLog>();
        services.AddSingleton<ProductionWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<ProductionWatcher>());
        return services;
    }

    private static bool IsHttpUrl(string s) => Uri.TryCreate(s, UriKind.Absolute, out var u) && u.Scheme is "http" or "https";
}
