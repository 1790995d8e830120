using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Auth;
using Wrangler.Dashboard;

namespace Wrangler.Dashboard.Tests;

/// <summary>The real app on a real loopback port with its own database, as a browser or automation sees it.</summary>
public sealed class AppHost : IAsyncDisposable
{
    private readonly WebApplication app;

    /// <summary>Accepted as an admin token (Wrangler:Auth:BootstrapToken); <see cref="Client"/> sends it.</summary>
    public const string BootstrapToken = "test-bootstrap-token-0123456789abcdef";

    public const string AdminName = "root-admin";

    /// <summary>An operator account every host has, for browser tests that click through campaigns.</summary>
    public const string OperatorName = "olive-operator";

    private AppHost(WebApplication app, string dataDir, Uri baseAddress, string adminPassword)
    {
        this.app = app;
        AdminPassword = adminPassword;
        DataDir = dataDir;
        BaseAddress = baseAddress;
        Client = NewClient(BootstrapToken);
    }

    public string DataDir { get; }
    public Uri BaseAddress { get; }
    /// <summary>Authenticated as admin with the bootstrap token.</summary>
    public HttpClient Client { get; }
    public IServiceProvider Services => app.Services;

    // Random per host: a test must never depend on a known password.
    public string AdminPassword { get; }
    public string OperatorPassword { get; } = RandomPassword();

    /// <summary>A client with no credentials (token null) or with the given bearer token; no redirects, so a test sees them.</summary>
    public HttpClient NewClient(string? token = null)
    {
        var c = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = BaseAddress };
        if (token is not null)
        {
            c.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return c;
    }

    /// <summary>Creates a local account and returns its password.</summary>
    public async Task<string> CreateUserAsync(string name, Role role)
    {
        var password = RandomPassword();
        await Services.GetRequiredService<AccountService>().CreateAsync(name, password, role, "test", CancellationToken.None);
        return password;
    }

    /// <summary>Creates an API token and returns its secret.</summary>
    public async Task<(long Id, string Secret)> CreateTokenAsync(string name, Role role)
    {
        var (t, secret) = await Services.GetRequiredService<TokenService>().CreateAsync(name, role, "test", CancellationToken.None);
        return (t.Id, secret);
    }

    private static string RandomPassword() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    public static Task<AppHost> StartAsync(params string[] extraArgs) => StartAsync(null, extraArgs);

    /// <param name="configure">Runs on the builder before the app is built (e.g. to add a logging provider).</param>
    public static async Task<AppHost> StartAsync(Action<WebApplicationBuilder>? configure, params string[] extraArgs)
    {
        var dataDir = Directory.CreateTempSubdirectory("wrangler-test-").FullName;
        var adminPassword = RandomPassword();
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--environment", "Development",
            $"--Wrangler:Database={Path.Combine(dataDir, "wrangler.db")}",
            $"--Wrangler:Auth:BootstrapToken={BootstrapToken}",
            $"--Wrangler:Auth:Admin:Name={AdminName}",
            $"--Wrangler:Auth:Admin:Password={adminPassword}",
            .. extraArgs,
        ];
        var app = WranglerApp.Create(args, configure);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var host = new AppHost(app, dataDir, new Uri(address), adminPassword);
        // A second host on the same database (DataProtectionTests) finds the operator already there.
        if (await app.Services.GetRequiredService<AccountService>().FindAsync(OperatorName, CancellationToken.None) is null)
        {
            await app.Services.GetRequiredService<AccountService>().CreateAsync(OperatorName, host.OperatorPassword, Role.Operator, "test", CancellationToken.None);
        }

        return host;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        Directory.Delete(DataDir, recursive: true);
    }
}
