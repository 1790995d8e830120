using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Wrangler.Core.Remote;

public static class RemoteServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SshOptions"/> (from <c>Wrangler:Ssh</c>), the ssh transport <c>Wrangler:Ssh:Client</c> names
    /// (behind <see cref="ISshRunner"/>: nothing else knows which runs), the Buildbot HttpClient and <see cref="IFleetAccess"/>.
    /// The container disposes the transport on shutdown, closing its sessions or OpenSSH masters.
    /// </summary>
    public static IServiceCollection AddWranglerRemote(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SshOptions>()
            .Bind(configuration.GetSection(SshOptions.SectionName))
            .Validate(o => o.ConnectTimeout > TimeSpan.Zero, "Wrangler:Ssh:ConnectTimeout must be positive")
            .Validate(o => o.IdentityFile is null || File.Exists(o.IdentityFile), "Wrangler:Ssh:IdentityFile does not exist")
            .Validate(o => o.KnownHostsFile is null || File.Exists(o.KnownHostsFile), "Wrangler:Ssh:KnownHostsFile does not exist")
            .Validate(o => o.Client != SshClientKind.OpenSsh || File.Exists(o.SshPath), "the OpenSSH client (Wrangler:Ssh:SshPath) is not installed: apt-get install openssh-client")
            .Validate(o => o.Client != SshClientKind.OpenSsh || o.IdentityPassphrase is null, "Wrangler:Ssh:IdentityPassphrase works with Client=sshnet only; the OpenSSH client runs in batch mode (use an agent)")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISshRunner>(sp => sp.GetRequiredService<IOptions<SshOptions>>().Value.Client switch
        {
            SshClientKind.OpenSsh => ActivatorUtilities.CreateInstance<OpenSshRunner>(sp),
            _ => ActivatorUtilities.CreateInstance<SshNetRunner>(sp),
        });
        // No cookies: Buildbot answers every request with a JWT session cookie, and cookies ignore ports, so masters
        // sharing a host (Mozilla runs several per host; the lab runs all on 127.0.0.1) would get each other's cookie
        // back and log a 30-line "Signature verification failed" traceback per request, flooding twistd.log.
        services.AddHttpClient(FleetAccess.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.TryAddSingleton<IFleetAccess>(sp => new FleetAccess(
            sp.GetRequiredService<ISshRunner>(),
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<IInventoryView>()));
        return services;
    }
}
