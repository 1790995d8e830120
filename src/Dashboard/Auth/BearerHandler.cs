using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Wrangler.Core.Auth;

namespace Wrangler.Dashboard.Auth;

/// <summary><c>Authorization: Bearer …</c> with an API token or the bootstrap token.</summary>
public sealed class BearerHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        string presented;
        if (header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = header["Bearer ".Length..].Trim();
        }
        else if (AuthSetup.HubToken(Request) is { } fromQuery)
        {
            presented = fromQuery;
        }
        else
        {
            return AuthenticateResult.NoResult();
        }

        if (presented.Length == 0 || await tokens.AuthenticateAsync(presented, Context.RequestAborted) is not { } id)
        {
            // Never echo or log the presented value: it may be a real token pasted into the wrong place.
            return AuthenticateResult.Fail("unknown or revoked token");
        }

        var principal = Principals.Create(
            id.Name == TokenService.BootstrapName ? TokenService.BootstrapName : $"token:{id.Name}", id.Role, SchemeName, "token");
        if (id.Id is { } tokenId)
        {
            ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(Principals.TokenIdClaim, tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}

public static class Principals
{
    public const string KindClaim = "wrangler:kind";
    public const string TokenIdClaim = "wrangler:token";

    /// <summary>A principal that carries its role and every role below it, so each policy is a single role check.</summary>
    public static ClaimsPrincipal Create(string name, Role role, string authenticationType, string kind)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, name), new(KindClaim, kind) };
        claims.AddRange(role.Granted().Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static Role? HighestRole(ClaimsPrincipal user) =>
        Enum.GetValues<Role>().Where(r => user.IsInRole(r.Name())).Select(r => (Role?)r).LastOrDefault();
}
