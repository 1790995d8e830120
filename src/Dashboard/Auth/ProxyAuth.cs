using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Wrangler.Core.Auth;

namespace Wrangler.Dashboard.Auth;

/// <summary>The address of whoever opened this connection, kept before the forwarded-headers middleware replaces it with the client's.</summary>
public sealed record PeerAddressFeature(IPAddress? Address);

/// <summary>Set only when a trusted proxy named a user on this request.</summary>
public sealed record ProxyIdentityFeature(ProxyIdentity Identity);

/// <summary>
/// Trusted-proxy mode: an SSO proxy in front of Wrangler names the user and their groups in headers. The headers are
/// believed only from the configured proxy addresses; from anyone else they are ignored (and audited).
/// </summary>
public static class ProxyAuth
{
    public const string SchemeName = "Proxy";
    public const string RefusedClaim = "wrangler:refused";

    public static void AddProxyAuth(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<TrustedProxy>((o, proxy) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults trust loopback; only what is configured is trusted here.
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
            foreach (var n in proxy.Networks)
            {
                o.KnownIPNetworks.Add(n);
            }

            // Walk back through every trusted hop (a load balancer in front of the proxy), never past an untrusted one.
            o.ForwardLimit = null;
        });
    }

    public static void UseProxyAuth(this WebApplication app)
    {
        var proxy = app.Services.GetRequiredService<TrustedProxy>();
        app.Use((ctx, next) =>
        {
            ctx.Features.Set(new PeerAddressFeature(ctx.Connection.RemoteIpAddress));
            return next(ctx);
        });
        if (proxy.Networks.Count > 0)
        {
            // Behind a trusted proxy the sign-in throttle, the audit log and Secure cookies see the client, not the proxy.
            app.UseForwardedHeaders();
        }

        if (!proxy.Enabled)
        {
            return;
        }

        var log = app.Services.GetRequiredService<ProxySignInLog>();
        app.Use(async (ctx, next) =>
        {
            var headers = ctx.Request.Headers;
            if (headers.TryGetValue(proxy.UserHeader, out var user) && user.Count > 0)
            {
                var peer = ctx.Features.Get<PeerAddressFeature>()?.Address;
                if (!proxy.IsTrusted(peer))
                {
                    await log.IgnoredAsync(proxy.UserHeader, user.ToString(), peer?.ToString(), ctx.RequestAborted);
                }
                else if (user.Count == 1 && proxy.Read(user[0], headers[proxy.GroupsHeader]) is { } id)
                {
                    ctx.Features.Set(new ProxyIdentityFeature(id));
                }
            }

            await next(ctx);
        });
    }
}

/// <summary>Turns the user a trusted proxy named into a principal with the role their groups map to.</summary>
public sealed class ProxyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ProxySignInLog log)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.Features.Get<ProxyIdentityFeature>() is not { Identity: var id })
        {
            return AuthenticateResult.NoResult();
        }

        await log.SignedInAsync(id, Context.Connection.RemoteIpAddress?.ToString(), Context.Features.Get<PeerAddressFeature>()?.Address?.ToString(), Context.RequestAborted);
        var principal = id.Role is { } role
            ? Principals.Create(id.User, role, ProxyAuth.SchemeName, "proxy")
            // Authenticated but with no role: every policy refuses it with 403 and the reason, rather than a login page it cannot use.
            : new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(ClaimTypes.Name, id.User), new Claim(Principals.KindClaim, "proxy"), new Claim(ProxyAuth.RefusedClaim, "no-role")],
                ProxyAuth.SchemeName, ClaimTypes.Name, ClaimTypes.Role));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, ProxyAuth.SchemeName));
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var id = Context.Features.Get<ProxyIdentityFeature>()?.Identity;
        var message = id is { Role: null }
            ? $"Signed in by the proxy as '{id.User}', but none of your groups ({(id.Groups.Count == 0 ? "none sent" : string.Join(", ", id.Groups))}) is given a Wrangler role (Wrangler:Auth:TrustedProxy:GroupRoles). Ask a Wrangler admin."
            : $"Signed in by the proxy as '{id?.User}' with the role {id?.Role?.Name()}, which may not do this.";
        Response.StatusCode = StatusCodes.Status403Forbidden;
        if (Request.Path.StartsWithSegments("/api") || Request.Path.StartsWithSegments("/hubs"))
        {
            await Response.WriteAsJsonAsync(new { status = 403, title = message }, Context.RequestAborted);
        }
        else
        {
            Response.ContentType = "text/html; charset=utf-8";
            await Response.WriteAsync(LoginEndpoints.Html("Not allowed",
                $"<div class=\"wr-login wr-refused\"><h1>Not allowed</h1><div class=\"wr-banner wr-banner-bad\" id=\"forbidden-reason\" role=\"alert\">{WebUtility.HtmlEncode(message)}</div></div>"), Context.RequestAborted);
        }
    }
}
