using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.SignalR;
using Wrangler.Core.Auth;
using Wrangler.Dashboard.Auth;

namespace Wrangler.Dashboard.Hubs;

/// <summary>
/// A hub connection is authorized once, when it opens, and can then live for days. So: revoking a token (or disabling
/// or re-roling an account) closes the connections made with it at once, and before each method call the credentials
/// are checked again, in case a change was missed (another process on the same database).
/// </summary>
public sealed class HubAccessFilter : IHubFilter, IDisposable
{
    private readonly TokenService tokens;
    private readonly AccountService accounts;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, HubCallerContext> open = new(StringComparer.Ordinal);

    public HubAccessFilter(TokenService tokens, AccountService accounts, TimeProvider time)
    {
        this.tokens = tokens;
        this.accounts = accounts;
        this.time = time;
        tokens.Revoked += OnTokenRevoked;
        accounts.Restricted += OnAccountRestricted;
    }

    public Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        open[context.Context.ConnectionId] = context.Context;
        return next(context);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        open.TryRemove(context.Context.ConnectionId, out _);
        return next(context, exception);
    }

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

    public void Dispose()
    {
        tokens.Revoked -= OnTokenRevoked;
        accounts.Restricted -= OnAccountRestricted;
    }

    private void OnTokenRevoked(long id)
    {
        var claim = id.ToString(CultureInfo.InvariantCulture);
        AbortWhere(c => c.User?.FindFirst(Principals.TokenIdClaim)?.Value == claim);
    }

    // A new role may still be enough, but the connection was authorized for the old one: the client reconnects and is checked afresh.
    private void OnAccountRestricted(string name) =>
        AbortWhere(c => c.User?.FindFirst(Principals.KindClaim)?.Value == "user" && c.User.Identity?.Name == name);

    private void AbortWhere(Func<HubCallerContext, bool> match)
    {
        foreach (var c in open.Values.Where(match))
        {
            c.Abort();
        }
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
