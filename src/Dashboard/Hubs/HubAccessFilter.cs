using System.Globalization;
using Microsoft.AspNetCore.SignalR;
using Wrangler.Core.Auth;
using Wrangler.Dashboard.Auth;

namespace Wrangler.Dashboard.Hubs;

/// <summary>
/// A hub connection is authorized once, when it opens, and can then live for days. Before each method call this checks
/// that the token behind it is not revoked and the account behind a cookie is not disabled or demoted; if either is,
/// the call is refused and the connection closed, so a revoked token stops receiving events too.
/// </summary>
public sealed class HubAccessFilter(TokenService tokens, AccountService accounts, TimeProvider time) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var ctx = invocation.Context;
        if (!await StillValidAsync(ctx))
        {
            // Closed a moment later, so the refusal (with its reason) reaches the client before the connection ends.
            _ = AbortSoonAsync(ctx);
            throw new HubException("credentials revoked or account disabled: this connection is being closed");
        }

        return await next(invocation);
    }

    private async Task AbortSoonAsync(HubCallerContext ctx)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), time);
        ctx.Abort();
    }

    private async Task<bool> StillValidAsync(HubCallerContext ctx)
    {
        var user = ctx.User;
        if (user?.FindFirst(Principals.TokenIdClaim)?.Value is { } id)
        {
            return await tokens.IsActiveAsync(long.Parse(id, CultureInfo.InvariantCulture), ctx.ConnectionAborted);
        }

        return await RevalidatingAuthState.StillValidAsync(accounts, user, ctx.ConnectionAborted);
    }
}
