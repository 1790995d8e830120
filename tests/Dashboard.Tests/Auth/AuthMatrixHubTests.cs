using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Auth;
using Wrangler.Dashboard.Hubs;
using Wrangler.Dashboard.Tests.Hub;

namespace Wrangler.Dashboard.Tests.Auth;

/// <summary>
/// Every hub method × every kind of caller, through the official JavaScript client: the hub's own checks, not the
/// absence of a client, decide. Refused callers never get a connection, so no method is reachable for them.
/// </summary>
public sealed class AuthMatrixHubTests : IAsyncLifetime
{
    private AppHost host = null!;

    public async Task InitializeAsync() => host = await AppHost.StartAsync("--Wrangler:Demo:Seed=7");

    public async Task DisposeAsync() => await host.DisposeAsync();

    private enum Caller
    {
        Anonymous,
        Viewer,
        Operator,
        Admin,
        Revoked,
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_hub_method_answers_each_caller_as_its_role_allows()
    {
        var master = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))![0].GetProperty("name").GetString()!;
        using var created = await host.Client.PostAsJsonAsync("/api/v1/campaigns", new { kind = "gracefulRestart", selector = new { names = new[] { master } } });
        var campaign = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        // Method → (arguments as JSON, role needed). A hub method missing here fails the test below.
        var methods = new Dictionary<string, (string Args, Role Needs)>
        {
            ["GetMasters"] = ("", Role.Viewer),
            ["WatchCampaign"] = ($"{campaign}", Role.Viewer),
            ["UnwatchCampaign"] = ($"{campaign}", Role.Viewer),
        };
        var declared = typeof(FleetHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Select(m => m.Name).Order().ToList();
        Assert.Equal(declared, methods.Keys.Order().ToList());

        var (revokedId, revokedSecret) = await host.CreateTokenAsync("hub-revoked", Role.Admin);
        await host.Services.GetRequiredService<TokenService>().RevokeAsync(revokedId, "test", CancellationToken.None);
        var tokens = new Dictionary<Caller, string?>
        {
            [Caller.Anonymous] = null,
            [Caller.Viewer] = (await host.CreateTokenAsync("hub-viewer", Role.Viewer)).Secret,
            [Caller.Operator] = (await host.CreateTokenAsync("hub-operator", Role.Operator)).Secret,
            [Caller.Admin] = (await host.CreateTokenAsync("hub-admin", Role.Admin)).Secret,
            [Caller.Revoked] = revokedSecret,
        };

        var failures = new List<string>();
        var table = new List<string>();
        foreach (var (caller, token) in tokens)
        {
            await using var client = await NodeHubClient.StartAsync(host.BaseAddress, TimeSpan.FromSeconds(120), token, probe: true);
            var start = await client.WaitForAnyAsync(e => e.Type is "connected" or "error", Wait)
                        ?? throw new Xunit.Sdk.XunitException($"{caller}: the hub client neither connected nor failed\n{client.Stderr}");
            var connected = start.Type == "connected";
            var connectRefused = !connected && start.Body.GetProperty("message").GetString()!.Contains("401", StringComparison.Ordinal);
            var mayConnect = caller is not (Caller.Anonymous or Caller.Revoked);
            table.Add($"{caller,-9} connect         {(connected ? "ok" : start.Body.GetProperty("message").GetString())}");
            if (mayConnect ? !connected : !connectRefused)
            {
                failures.Add($"{caller} connect: {start.Body}, expected {(mayConnect ? "connected" : "refused with 401")}");
                continue;
            }

            if (!connected)
            {
                // Refused at the door: no method of the hub can be reached without a connection.
                foreach (var m in methods.Keys)
                {
                    table.Add($"{caller,-9} {m,-15} unreachable (no connection)");
                }

                continue;
            }

            foreach (var (method, (args, needs)) in methods)
            {
                await client.SendAsync($"invoke {method} {args}".TrimEnd());
                var answer = await client.WaitForAnyAsync(e => e.Type == "invoked" && e.Body.GetProperty("method").GetString() == method, Wait);
                var ok = answer?.Body.GetProperty("ok").GetBoolean();
                var allowed = Allowed(caller, needs);
                table.Add($"{caller,-9} {method,-15} {(ok == true ? "ok" : answer?.Body.ToString() ?? "no answer")}");
                if (ok != allowed)
                {
                    failures.Add($"{caller} {method}: {answer?.Body.ToString() ?? "no answer"}, expected {(allowed ? "ok" : "refused")}");
                }
            }

            Assert.Equal(0, await client.QuitAsync());
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n\n" + string.Join('\n', table));
    }

    [Fact]
    public async Task A_token_revoked_behind_this_process_back_is_refused_at_its_next_call_and_disconnected()
    {
        var (id, secret) = await host.CreateTokenAsync("hub-soon-revoked", Role.Viewer);
        await using var client = await NodeHubClient.StartAsync(host.BaseAddress, TimeSpan.FromSeconds(120), secret, probe: true);
        Assert.Equal("connected", (await client.WaitForAnyAsync(e => e.Type is "connected" or "error", Wait))?.Type);
        await client.SendAsync("invoke GetMasters");
        Assert.True((await client.WaitForAnyAsync(e => e.Type == "invoked", Wait))?.Body.GetProperty("ok").GetBoolean());

        // Straight in the database, as another Wrangler on the same file would: no event reaches this process.
        await using (var db = await host.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Wrangler.Core.Persistence.WranglerDb>>().CreateDbContextAsync())
        {
            var token = await db.Tokens.FindAsync(id);
            token!.RevokedAt = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            await db.SaveChangesAsync();
        }

        await client.SendAsync("invoke UnwatchCampaign 1");
        var refused = await client.WaitForAnyAsync(e => e.Type == "invoked" && e.Body.GetProperty("method").GetString() == "UnwatchCampaign", Wait);
        Assert.NotNull(refused);
        Assert.False(refused.Body.GetProperty("ok").GetBoolean());
        Assert.Contains("revoked", refused.Body.GetProperty("error").GetString());
        // The server closed the connection: the client reports it as lost.
        Assert.NotNull(await client.WaitForAnyAsync(e => e.Type == "closed", Wait));
    }

    [Fact]
    public async Task Revoking_a_token_closes_the_connections_made_with_it_at_once_and_leaves_others_open()
    {
        var (id, secret) = await host.CreateTokenAsync("hub-listener", Role.Viewer);
        await using var listener = await NodeHubClient.StartAsync(host.BaseAddress, TimeSpan.FromSeconds(120), secret, probe: true);
        await using var other = await NodeHubClient.StartAsync(host.BaseAddress, TimeSpan.FromSeconds(120), (await host.CreateTokenAsync("hub-other", Role.Viewer)).Secret, probe: true);
        Assert.Equal("connected", (await listener.WaitForAnyAsync(e => e.Type is "connected" or "error", Wait))?.Type);
        Assert.Equal("connected", (await other.WaitForAnyAsync(e => e.Type is "connected" or "error", Wait))?.Type);

        // Through the API, as an admin would; the listener never calls a method, it only listens.
        Assert.Equal(HttpStatusCode.OK, (await host.Client.DeleteAsync($"/api/v1/tokens/{id}")).StatusCode);
        var lost = await listener.WaitForAnyAsync(e => e.Type == "closed", TimeSpan.FromSeconds(20));
        Assert.NotNull(lost);
        Assert.Equal("connection lost", lost.Body.GetProperty("reason").GetString());

        await other.SendAsync("invoke GetMasters");
        Assert.True((await other.WaitForAnyAsync(e => e.Type == "invoked", Wait))?.Body.GetProperty("ok").GetBoolean());
        Assert.Equal(0, await other.QuitAsync());
    }

    [Fact]
    public async Task A_websocket_straight_to_the_hub_without_negotiating_is_refused_without_valid_credentials()
    {
        var (revokedId, revoked) = await host.CreateTokenAsync("ws-revoked", Role.Admin);
        await host.Services.GetRequiredService<TokenService>().RevokeAsync(revokedId, "test", CancellationToken.None);
        var ws = new UriBuilder(host.BaseAddress) { Scheme = "ws", Path = FleetHub.Path };
        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketStatusAsync(ws.Uri));
        ws.Query = $"access_token={Uri.EscapeDataString(revoked)}";
        Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketStatusAsync(ws.Uri));
        ws.Query = $"access_token={Uri.EscapeDataString((await host.CreateTokenAsync("ws-viewer", Role.Viewer)).Secret)}";
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketStatusAsync(ws.Uri));
    }

    private static async Task<HttpStatusCode> WebSocketStatusAsync(Uri uri)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(uri, CancellationToken.None);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }

        return socket.HttpStatusCode;
    }

    private static bool Allowed(Caller caller, Role needs) => caller switch
    {
        Caller.Viewer => needs == Role.Viewer,
        Caller.Operator => needs <= Role.Operator,
        Caller.Admin => true,
        _ => false,
    };
}
