using System.Net;
using System.Net.WebSockets;
using Wrangler.Core.Auth;
using Wrangler.Dashboard.Hubs;
using Wrangler.Dashboard.Tests.Auth;

namespace Wrangler.Dashboard.Tests.Hardening;

/// <summary>
/// The hub is bearer only (docs/hub.md). A page on another origin (here another port of the same host, which is
/// same-site, so SameSite=Strict does not keep the cookie off) can open a WebSocket with the signed-in cookie: that is
/// refused; a token is accepted from any origin, since a page cannot get one without being given it.
/// </summary>
public sealed class HubOriginTests : IAsyncLifetime
{
    private const string OtherOrigin = "http://127.0.0.1:5399";
    private AppHost host = null!;

    public async Task InitializeAsync() => host = await AppHost.StartAsync("--Wrangler:Demo:Seed=3");

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task A_signed_in_cookie_opens_no_hub_connection_from_another_origin_or_this_one()
    {
        var cookie = await SignInCookieAsync();
        // The cookie is a good one: the API reads with it.
        using (var api = host.NewClient())
        {
            using var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/masters") { Headers = { { "Cookie", cookie } } };
            Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(read)).StatusCode);
        }

        foreach (var origin in new[] { OtherOrigin, host.BaseAddress.GetLeftPart(UriPartial.Authority) })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await WebSocketStatusAsync(Hub(), origin, cookie));
            using var negotiate = await NegotiateAsync(origin, cookie, token: null);
            Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
            Assert.Contains("Bearer", await negotiate.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_token_opens_the_hub_from_another_origin_in_the_query_or_the_header()
    {
        var (_, secret) = await host.CreateTokenAsync("hub-origin-viewer", Role.Viewer);
        var ws = new UriBuilder(Hub()) { Query = $"access_token={Uri.EscapeDataString(secret)}" }.Uri;
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await WebSocketStatusAsync(ws, OtherOrigin, cookie: null));
        using var negotiate = await NegotiateAsync(OtherOrigin, cookie: null, secret);
        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        Assert.Contains("connectionToken", await negotiate.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private Uri Hub() => new UriBuilder(host.BaseAddress) { Scheme = "ws", Path = FleetHub.Path }.Uri;

    private async Task<string> SignInCookieAsync()
    {
        using var browser = new SignedInClient(host);
        using var resp = await browser.PostLoginAsync(AppHost.AdminName, host.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
        return resp.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("wrangler.auth=", StringComparison.Ordinal)).Split(';')[0];
    }

    private async Task<HttpResponseMessage> NegotiateAsync(string origin, string? cookie, string? token)
    {
        using var client = host.NewClient(token);
        var request = new HttpRequestMessage(HttpMethod.Post, $"{FleetHub.Path}/negotiate?negotiateVersion=1") { Headers = { { "Origin", origin } } };
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return await client.SendAsync(request);
    }

    private static async Task<HttpStatusCode> WebSocketStatusAsync(Uri uri, string origin, string? cookie)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Origin", origin);
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", cookie);
        }

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
}
