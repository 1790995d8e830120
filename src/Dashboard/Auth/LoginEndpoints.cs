using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Wrangler.Core.Auth;

namespace Wrangler.Dashboard.Auth;

/// <summary>
/// Sign-in and sign-out as plain form posts: an interactive Blazor circuit cannot set a cookie, and a page
/// this small does not need one. Both forms carry an antiforgery token.
/// </summary>
public static class LoginEndpoints
{
    public static WebApplication MapLoginEndpoints(this WebApplication app)
    {
        app.MapGet("/login", (HttpContext ctx, IAntiforgery antiforgery, string? returnUrl) =>
                Page(ctx, antiforgery, returnUrl, null, StatusCodes.Status200OK))
            .AllowAnonymous().ExcludeFromDescription();

        app.MapPost("/login", async Task<IResult> (HttpContext ctx, IAntiforgery antiforgery, AccountService accounts) =>
            {
                if (!await antiforgery.IsRequestValidAsync(ctx))
                {
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "the form was not issued by this site; reload the sign-in page");
                }

                var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
                string name = form["name"].ToString(), password = form["password"].ToString(), returnUrl = form["returnUrl"].ToString();
                var result = await accounts.SignInAsync(name, password, ctx.Connection.RemoteIpAddress?.ToString(), ctx.RequestAborted);
                switch (result.Outcome)
                {
                    case SignInOutcome.Throttled:
                        var seconds = (int)Math.Ceiling(result.RetryAfter!.Value.TotalSeconds);
                        ctx.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        return Page(ctx, antiforgery, returnUrl, $"Too many failed attempts. Try again in {seconds} s.", StatusCodes.Status429TooManyRequests, name);
                    case SignInOutcome.Failed:
                        return Page(ctx, antiforgery, returnUrl, "Wrong name or password.", StatusCodes.Status401Unauthorized, name);
                }

                var account = result.Account!;
                var principal = Principals.Create(account.Name, account.Role, CookieAuthenticationDefaults.AuthenticationScheme, "user");
                await ctx.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
                return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl : "/");
            })
            .AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

        app.MapPost("/logout", async Task<IResult> (HttpContext ctx, IAntiforgery antiforgery, AccountService accounts) =>
            {
                if (!await antiforgery.IsRequestValidAsync(ctx))
                {
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "the form was not issued by this site");
                }

                if (ctx.User.Identity is { IsAuthenticated: true, Name: { } name })
                {
                    await accounts.AuditSignOutAsync(name, ctx.Connection.RemoteIpAddress?.ToString(), ctx.RequestAborted);
                }

                await ctx.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                return Results.LocalRedirect("/login");
            })
            .AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

        app.MapGet("/forbidden", () => Results.Content(Html("Not allowed", """
                <div class="wr-login wr-refused">
                <h1>Not allowed</h1>
                <div class="wr-banner wr-banner-bad" role="alert">Your account's role may not open that page.</div>
                <p><a href="/">Back to the fleet</a></p>
                </div>
                """), "text/html; charset=utf-8", statusCode: StatusCodes.Status403Forbidden))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    // Only paths on this site: "//evil.example" and "/\evil.example" are other sites to a browser, and browsers drop a tab
    // or newline inside a URL, so "/\t/evil.example" is one too (LocalRedirect refused it with a 500 before this check).
    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || url[1] is not ('/' or '\\')) && !url.Any(char.IsControl);

    private static IResult Page(HttpContext ctx, IAntiforgery antiforgery, string? returnUrl, string? error, int status, string? name = null)
    {
        var tokens = antiforgery.GetAndStoreTokens(ctx);
        static string e(string? s) => WebUtility.HtmlEncode(s) ?? "";
        var body = $"""
            <form method="post" action="/login" class="wr-login" id="login-form">
                <h1>Sign in to Wrangler</h1>
                {(error is null ? "" : $"<div class=\"wr-banner wr-banner-bad\" id=\"login-error\" role=\"alert\">{e(error)}</div>")}
                <input type="hidden" name="{e(tokens.FormFieldName)}" value="{e(tokens.RequestToken)}" />
                <input type="hidden" name="returnUrl" value="{e(IsLocal(returnUrl) ? returnUrl! : "/")}" />
                <div class="wr-field"><label for="name">Name</label><input id="name" name="name" autocomplete="username" required autofocus value="{e(name ?? "")}" /></div>
                <div class="wr-field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required /></div>
                <button type="submit" id="sign-in">Sign in</button>
            </form>
            """;
        return Results.Content(Html("Sign in", body), "text/html; charset=utf-8", statusCode: status);
    }

    public static string Html(string title, string body) => $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1.0" />
            <title>{title} · Wrangler</title>
            <link rel="stylesheet" href="/css/site.css" />
            <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
        </head>
        <body>
        <main>
        {body}
        </main>
        </body>
        </html>
        """;
}
