using System.Security.Claims;
using Wrangler.Core.Auth;

namespace Wrangler.Dashboard.Api;

public sealed record CreateTokenDto(string Name, Role Role);

public sealed record CreatedTokenDto(long Id, string Name, Role Role, string Token);

public sealed record CreateUserDto(string Name, string Password, Role Role);

public sealed record SetRoleDto(Role Role);

/// <summary>Tokens and accounts; admin only.</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens").RequireAuthorization(Roles.Admin);
        tokens.MapGet("/", (TokenService s, CancellationToken ct) => s.ListAsync(ct))
            .WithSummary("Every API token (never the secret), with when it was last used.");
        tokens.MapPost("/", async Task<IResult> (CreateTokenDto body, TokenService s, ClaimsPrincipal user, CancellationToken ct) =>
                await Refusable(async () =>
                {
                    var (t, secret) = await s.CreateAsync(body.Name, body.Role, Actor(user), ct);
                    return Results.Created($"/api/v1/tokens/{t.Id}", new CreatedTokenDto(t.Id, t.Name, t.Role, secret));
                }))
            .WithSummary("Creates a token; the secret is in this response only.");
        tokens.MapDelete("/{id:long}", async Task<IResult> (long id, TokenService s, ClaimsPrincipal user, CancellationToken ct) =>
                await s.RevokeAsync(id, Actor(user), ct) is { } t ? Results.Ok(t) : Results.Problem(statusCode: 404, title: $"no token {id}"))
            .WithSummary("Revokes a token; it stops working at once.");

        var users = api.MapGroup("/users").WithTags("Users").RequireAuthorization(Roles.Admin);
        users.MapGet("/", (AccountService s, CancellationToken ct) => s.ListAsync(ct))
            .WithSummary("Every local account.");
        users.MapPost("/", async Task<IResult> (CreateUserDto body, AccountService s, ClaimsPrincipal user, CancellationToken ct) =>
                await Refusable(async () =>
                {
                    var u = await s.CreateAsync(body.Name, body.Password, body.Role, Actor(user), ct);
                    return Results.Created($"/api/v1/users/{Uri.EscapeDataString(u.Name)}", u);
                }))
            .WithSummary("Creates a local account.");
        foreach (var (verb, disabled) in new[] { ("disable", true), ("enable", false) })
        {
            users.MapPost($"/{{name}}/{verb}", async Task<IResult> (string name, AccountService s, ClaimsPrincipal user, CancellationToken ct) =>
                    await Refusable(async () => await s.SetDisabledAsync(name, disabled, Actor(user), ct) is { } u ? Results.Ok(u) : Results.Problem(statusCode: 404, title: $"no account '{name}'")))
                .WithSummary($"{verb} an account; a disabled account's sessions end at their next request.");
        }

        users.MapPost("/{name}/role", async Task<IResult> (string name, SetRoleDto body, AccountService s, ClaimsPrincipal user, CancellationToken ct) =>
                await Refusable(async () => await s.SetRoleAsync(name, body.Role, Actor(user), ct) is { } u ? Results.Ok(u) : Results.Problem(statusCode: 404, title: $"no account '{name}'")))
            .WithSummary("Changes an account's role; its sessions pick up the change at their next request.");

        return api;
    }

    private static string Actor(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    private static async Task<IResult> Refusable(Func<Task<IResult>> f)
    {
        try
        {
            return await f();
        }
        catch (AuthRefusedException ex)
        {
            return Results.Problem(statusCode: ex.StatusCode, title: ex.Message);
        }
    }
}
