using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Dashboard;

namespace Wrangler.Dashboard.Tests;

/// <summary>The real app on a real loopback port with its own database, as a browser or automation sees it.</summary>
public sealed class AppHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private AppHost(WebApplication app, string dataDir, Uri baseAddress)
    {
        this.app = app;
        DataDir = dataDir;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public string DataDir { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => app.Services;

    public static async Task<AppHost> StartAsync(params string[] extraArgs)
    {
        var dataDir = Directory.CreateTempSubdirectory("wrangler-test-").FullName;
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--environment", "Development",
            $"--Wrangler:Database={Path.Combine(dataDir, "wrangler.db")}",
            .. extraArgs,
        ];
        var app = WranglerApp.Create(args);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new AppHost(app, dataDir, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        Directory.Delete(DataDir, recursive: true);
    }
}
