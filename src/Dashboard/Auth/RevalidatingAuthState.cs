using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Wrangler.Core.Auth;

namespace Wrangler.Dashboard.Auth;

/// <summary>A live circuit outlives the request that opened it; re-check the account now and then so disabling someone ends their session.</summary>
public sealed class RevalidatingAuthState(ILoggerFactory logs, AccountService accounts) : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct) =>
        StillValidAsync(accounts, state.User, ct);

    public static async Task<bool> StillValidAsync(AccountService accounts, ClaimsPrincipal? user, CancellationToken ct)
    {
        // Tokens are checked on every request by the bearer handler; only cookie sessions need this.
        if (user?.Identity is not { IsAuthenticated: true, Name: { } name } || user.FindFirst(Principals.KindClaim)?.Value != "user")
        {
            return true;
        }

        return await accounts.FindAsync(name, ct) is { Disabled: false } a && Principals.HighestRole(user) == a.Role;
    }
}
