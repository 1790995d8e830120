using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Wrangler.Core.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>Accounts, tokens and the sign-in throttle; call after the database migrator so the first admin finds its tables.</summary>
    public static IServiceCollection AddWranglerAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.Section))
            .Validate(o => o.FreeFailures >= 1 && o.FirstLockout > TimeSpan.Zero && o.MaxLockout >= o.FirstLockout, "Wrangler:Auth lockout settings are inconsistent")
            .Validate(o => string.IsNullOrEmpty(o.BootstrapToken) || o.BootstrapToken.Length >= 16, "Wrangler:Auth:BootstrapToken must have at least 16 characters")
            .Validate(o => o.TrustedProxy.Proxies.All(p => TrustedProxy.TryParseNetwork(p, out _)),
                "Wrangler:Auth:TrustedProxy:Proxies must be IP addresses or CIDR networks (10.0.0.5, 10.0.0.0/8)")
            .Validate(o => !o.TrustedProxy.Enabled || o.TrustedProxy.Proxies.Count > 0,
                "Wrangler:Auth:TrustedProxy:Enabled needs Wrangler:Auth:TrustedProxy:Proxies: headers are believed only from those addresses")
            .Validate(o => !o.TrustedProxy.Enabled || (IsHeaderName(o.TrustedProxy.UserHeader) && IsHeaderName(o.TrustedProxy.GroupsHeader)),
                "Wrangler:Auth:TrustedProxy:UserHeader and :GroupsHeader must be HTTP header names")
            .Validate(o => o.TrustedProxy.GroupRoles.Values.All(r => Roles.TryParse(r, out var role) && role.IsPersonRole()),
                "Wrangler:Auth:TrustedProxy:GroupRoles values must be viewer, operator or admin")
            .ValidateOnStart();
        services.AddSingleton<TrustedProxy>();
        services.AddSingleton<ProxySignInLog>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<TokenService>();
        services.AddHostedService<FirstAdmin>();
        return services;
    }

    private static bool IsHeaderName(string? s) => !string.IsNullOrEmpty(s) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
