using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace Wrangler.Dashboard.Auth;

/// <summary>
/// The server-side check behind every button a component shows: hiding a button is a courtesy, but a circuit
/// can invoke any handler, so each handler asks this before it acts.
/// </summary>
public sealed class UserAccess(AuthenticationStateProvider state, IAuthorizationService authorization)
{
    /// <summary>The signed-in user's name when they satisfy <paramref name="policy"/>; null when they do not.</summary>
    public async Task<string?> ActorIfAllowedAsync(string policy)
    {
        var user = (await state.GetAuthenticationStateAsync()).User;
        return user.Identity?.IsAuthenticated == true && (await authorization.AuthorizeAsync(user, policy)).Succeeded
            ? user.Identity.Name
            : null;
    }
}
