using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using Wrangler.Core.Auth;

namespace Wrangler.Dashboard.Auth;

/// <summary>Cookie sign-in for people, bearer tokens for automation, and the role policies.</summary>
public static class AuthSetup
{
    public const string Combined = "Wrangler";

    public static IServiceCollection AddDashboardAuth(this IServiceCollection services)
    {
        services.AddAuthentication(Combined)
            .AddPolicyScheme(Combined, "cookie or bearer", o => o.ForwardDefaultSelector = SelectScheme)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/logout";
                o.AccessDeniedPath = "/forbidden";
                o.ReturnUrlParameter = "returnUrl";
                o.Cookie.Name = "wrangler.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = ctx => ApiStatusOrRedirect(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => ApiStatusOrRedirect(ctx, StatusCodes.Status403Forbidden);
                o.Events.OnValidatePrincipal = ValidateAccountAsync;
            })
            .AddScheme<AuthenticationSchemeOptions, BearerHandler>(BearerHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, ProxyHandler>(ProxyAuth.SchemeName, null);
        services.AddProxyAuth();
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((o, auth) => o.ExpireTimeSpan = auth.Value.SessionLifetime);

        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Viewer, p => p.RequireAuthenticatedUser().RequireRole(Roles.Viewer))
            .AddPolicy(Roles.Operator, p => p.RequireAuthenticatedUser().RequireRole(Roles.Operator))
            .AddPolicy(Roles.Admin, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin))
            .AddPolicy(Roles.Reporter, p => p.RequireAuthenticatedUser().RequireRole(Roles.Reporter));
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAuthState>();
        services.AddScoped<UserAccess>();
        return services;
    }

    /// <summary>
    /// Bearer when the caller sends an Authorization header, and always on the hub. API writes never accept the cookie: a cross-site
    /// page cannot attach a bearer token, so a forged form or fetch cannot act with a signed-in person's session.
    /// A trusted proxy's user counts like a cookie (the proxy adds its headers to a forged request too), so not for API writes either.
    /// </summary>
    private static string SelectScheme(HttpContext ctx)
    {
        // The hub is bearer only (docs/hub.md): a WebSocket is not bound by CORS, so a page on another origin (another
        // port of the same host is same-site, so SameSite=Strict does not stop it) could open it with a signed-in cookie.
        if (ctx.Request.Headers.Authorization.Count > 0 || HubToken(ctx.Request) is not null || ctx.Request.Path.StartsWithSegments("/hubs"))
        {
            return BearerHandler.SchemeName;
        }

        var safe = HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method) || HttpMethods.IsOptions(ctx.Request.Method);
        if (IsApi(ctx.Request) && !safe)
        {
            return BearerHandler.SchemeName;
        }

        return ctx.Features.Get<ProxyIdentityFeature>() is not null ? ProxyAuth.SchemeName : CookieAuthenticationDefaults.AuthenticationScheme;
    }

    private static bool IsApi(HttpRequest r) => r.Path.StartsWithSegments("/api");

    /// <summary>
    /// Browsers cannot set headers on a WebSocket, so SignalR clients send the token as access_token in the query;
    /// accepted on the hub only, where it never ends up in an ordinary page's URL.
    /// </summary>
    public static string? HubToken(HttpRequest r) =>
        r.Path.StartsWithSegments("/hubs") && r.Query.TryGetValue("access_token", out var t) && !string.IsNullOrWhiteSpace(t) ? t.ToString() : null;

    // Automation (the API and hub subscribers) wants a status code, not an HTML login page.
    private static Task ApiStatusOrRedirect(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (IsApi(ctx.Request) || ctx.Request.Path.StartsWithSegments("/hubs"))
        {
            ctx.Response.StatusCode = status;
            if (status == StatusCodes.Status401Unauthorized)
            {
                ctx.Response.Headers.WWWAuthenticate = "Bearer";
            }
        }
        else
        {
            ctx.Response.Redirect(ctx.RedirectUri);
        }

        return Task.CompletedTask;
    }

    // A disabled or demoted account loses its session at its next request, not when the cookie expires.
    private static async Task ValidateAccountAsync(CookieValidatePrincipalContext ctx)
    {
        var accounts = ctx.HttpContext.RequestServices.GetRequiredService<AccountService>();
        if (!await RevalidatingAuthState.StillValidAsync(accounts, ctx.Principal, ctx.HttpContext.RequestAborted))
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    public static WebApplication UseDashboardAuth(this WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            // Nothing here is meant to be framed, sniffed or to leak its URLs (campaign ids, master names) to other sites.
            var h = ctx.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "same-origin";
            h.ContentSecurityPolicy = "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'";
            await next();
        });
        app.UseProxyAuth();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
