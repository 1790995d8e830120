using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Integrations;

public static class IntegrationsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IAllocator"/>, <see cref="IMonitoringDowntime"/> and <see cref="INotifier"/>: the real
    /// one when its key is set (<c>Wrangler:Allocator:Url</c>, <c>Wrangler:Nagios:CommandFile</c>,
    /// <c>Wrangler:Notifications:WebhookUrl</c>), otherwise one that does nothing and says so (IsConfigured=false).
    /// Options are validated on start. With <c>Wrangler:Nagios:SshHost</c> it needs the <see cref="ISshRunner"/> that
    /// <see cref="RemoteServiceCollectionExtensions.AddWranglerRemote"/> registers.
    /// </summary>
    public static IServiceCollection AddWranglerIntegrations(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<AllocatorOptions>()
            .Bind(configuration.GetSection(AllocatorOptions.SectionName))
            .Validate(o => o.Url is null || IsHttpUrl(o.Url), $"{AllocatorOptions.SectionName}:Url must be an absolute http(s) URL")
            .Validate(o => o.Timeout > TimeSpan.Zero, $"{AllocatorOptions.SectionName}:Timeout must be positive")
            .ValidateOnStart();
        services.AddOptions<NagiosOptions>()
            .Bind(configuration.GetSection(NagiosOptions.SectionName))
            .Validate(o => o.CommandFile is null || Path.IsPathFullyQualified(o.CommandFile), $"{NagiosOptions.SectionName}:CommandFile must be an absolute path")
            .Validate(o => o.CommandFile is null || o.SshHost is not null || Directory.Exists(Path.GetDirectoryName(o.CommandFile)),
                $"the directory of {NagiosOptions.SectionName}:CommandFile does not exist (is Nagios installed here? set {NagiosOptions.SectionName}:SshHost if it runs elsewhere)")
            .Validate(o => o.SshHost is null || TryParseSshHost(o.SshHost, out _), $"{NagiosOptions.SectionName}:SshHost must be [user@]host[:port]")
            .Validate(o => o.SshHost is null || o.CommandFile is not null, $"{NagiosOptions.SectionName}:SshHost needs {NagiosOptions.SectionName}:CommandFile")
            .Validate(o => o.HostName.Contains("{name}", StringComparison.Ordinal) || o.HostName.Contains("{hostname}", StringComparison.Ordinal),
                $"{NagiosOptions.SectionName}:HostName must contain {{name}} or {{hostname}}")
            .Validate(o => o.WriteTimeout > TimeSpan.Zero, $"{NagiosOptions.SectionName}:WriteTimeout must be positive")
            .Validate(o => o.StatusFile is null || Path.IsPathFullyQualified(o.StatusFile), $"{NagiosOptions.SectionName}:StatusFile must be an absolute path")
            .Validate(o => o.StatusTimeout > TimeSpan.Zero, $"{NagiosOptions.SectionName}:StatusTimeout must be positive")
            .ValidateOnStart();
        services.AddOptions<NotificationOptions>()
            .Bind(configuration.GetSection(NotificationOptions.SectionName))
            .Validate(o => o.WebhookUrl is null || IsHttpUrl(o.WebhookUrl), $"{NotificationOptions.SectionName}:WebhookUrl must be an absolute http(s) URL")
            .Validate(o => o.Timeout > TimeSpan.Zero, $"{NotificationOptions.SectionName}:Timeout must be positive")
            .ValidateOnStart();

        // Chosen at registration, like the inventory source: which integration exists is deployment, not runtime, state.
        if (string.IsNullOrWhiteSpace(configuration[$"{AllocatorOptions.SectionName}:Url"]))
        {
            services.TryAddSingleton<IAllocator, NoAllocator>();
        }
        else
        {
            // No factory logging: it writes the whole URL, and these URLs may carry credentials. Their own errors show a SafeUrl.
            services.AddHttpClient(HttpAllocator.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
            services.TryAddSingleton<IAllocator>(sp => new HttpAllocator(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpAllocator.HttpClientName),
                sp.GetRequiredService<IOptions<AllocatorOptions>>().Value,
                sp.GetRequiredService<TimeProvider>()));
        }

        if (string.IsNullOrWhiteSpace(configuration[$"{NagiosOptions.SectionName}:CommandFile"]))
        {
            services.TryAddSingleton<IMonitoringDowntime, NoDowntime>();
        }
        else
        {
            services.TryAddSingleton<IMonitoringDowntime>(sp =>
            {
                var o = sp.GetRequiredService<IOptions<NagiosOptions>>().Value;
                var time = sp.GetRequiredService<TimeProvider>();
                INagiosCommandSink sink = o.SshHost is null
                    ? new LocalNagiosCommandFile(o.CommandFile!, o.WriteTimeout, time)
                    : new SshNagiosCommandFile(sp.GetRequiredService<ISshRunner>(), ParseSshHost(o.SshHost), o.CommandFile!, o.WriteTimeout);
                INagiosStatusSource? status = o.StatusFile is null ? null
                    : o.SshHost is null ? new LocalNagiosStatusFile(o.StatusFile)
                    : new SshNagiosStatusFile(sp.GetRequiredService<ISshRunner>(), ParseSshHost(o.SshHost), o.StatusFile, o.WriteTimeout);
                return new NagiosDowntime(sink, o.HostName, time, sp.GetService<ILogger<NagiosDowntime>>(), status, o.StatusTimeout);
            });
        }

        if (string.IsNullOrWhiteSpace(configuration[$"{NotificationOptions.SectionName}:WebhookUrl"]))
        {
            services.TryAddSingleton<INotifier, NoNotifier>();
        }
        else
        {
            services.AddHttpClient(WebhookNotifier.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
            services.TryAddSingleton<INotifier>(sp => new WebhookNotifier(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(WebhookNotifier.HttpClientName),
                sp.GetRequiredService<IOptions<NotificationOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILogger<WebhookNotifier>>()));
        }

        return services;
    }

    internal static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps);

    /// <summary><c>[user@]host[:port]</c> → <see cref="SshTarget"/>; identity and known_hosts come from <c>Wrangler:Ssh</c>.</summary>
    public static SshTarget ParseSshHost(string value) =>
        TryParseSshHost(value, out var target) ? target : throw new FormatException($"'{value}' is not [user@]host[:port]");

    internal static bool TryParseSshHost(string value, out SshTarget target)
    {
        target = null!;
        var rest = value.Trim();
        string? user = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            user = rest[..at];
            rest = rest[(at + 1)..];
        }

        int? port = null;
        var colon = rest.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!int.TryParse(rest[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            {
                return false;
            }

            port = p;
            rest = rest[..colon];
        }

        // Host and user go into ssh's argv; keep them to characters no option parser or shell reads specially.
        static bool Safe(string s) => s.Length > 0 && s[0] != '-' && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
        if (!Safe(rest) || (user is not null && !Safe(user)))
        {
            return false;
        }

        target = new SshTarget(rest, port, user);
        return true;
    }
}
