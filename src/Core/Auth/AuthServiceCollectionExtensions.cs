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
            .ValidateOnStart();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<TokenService>();
        services.AddHostedService<FirstAdmin>();
        return services;
    }
}
