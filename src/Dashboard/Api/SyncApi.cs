using System.Security.Claims;
using Wrangler.Core.Auth;
using Wrangler.Core.Fleet;
using Wrangler.Core.Sync;

namespace Wrangler.Dashboard.Api;

public sealed record FreezeDto(bool Frozen, string? SetBy, string? Reason, DateTimeOffset? SetAt)
{
    public static FreezeDto From(FreezeView? f) => new(f is not null, f?.SetBy, f?.Reason, f?.SetAt);
}

public sealed record FreezeRequest(string? Reason);

public sealed record TipDto(string Repo, string Branch, string Revision, DateTimeOffset MovedAt);

public sealed record SyncDto(
    bool AutoReconfig,
    string Action,
    string Reason,
    DateTimeOffset? Until,
    long? Campaign,
    IReadOnlyList<TipDto> Tips,
    FreezeDto Freeze,
    IReadOnlyDictionary<string, DateTimeOffset> BehindSince,
    IReadOnlyList<string> Drifting,
    long? LastCampaign,
    string? LastCampaignState);

public sealed record LiveDto(bool Live, IReadOnlyList<string> Behind, string Revision, int Masters);

public static class SyncApi
{
    public static RouteGroupBuilder MapSyncApi(this RouteGroupBuilder api)
    {
        api.MapGet("/sync", (ProductionWatcher watcher) => From(watcher.Current))
            .WithTags("Sync")
            .WithSummary("What auto-reconfig sees and decided: production tips and when they moved, freeze, masters behind and drifting.");

        var freeze = api.MapGroup("/freeze").WithTags("Sync");
        freeze.MapGet("/", async (FreezeService f, CancellationToken ct) => FreezeDto.From(await f.GetAsync(ct)))
            .WithSummary("Whether automatic reconfigs are frozen, by whom, why, since when.");
        freeze.MapPut("/", async (FreezeRequest? body, FreezeService f, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () => Results.Ok(FreezeDto.From(await f.SetAsync(Actor(user), body?.Reason, ct)))))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Freezes automatic reconfigs until lifted; needs a reason. 409 when already frozen.");
        freeze.MapDelete("/", async (string? reason, FreezeService f, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () =>
                {
                    await f.LiftAsync(Actor(user), reason, ct);
                    return Results.Ok(FreezeDto.From(null));
                }))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Lifts the freeze (?reason=… is recorded). 409 when not frozen.");

        api.MapGet("/revisions/live", async (string? repo, string? revision, LiveRevisions live, CancellationToken ct) =>
                await RunAsync(async () =>
                {
                    var a = await live.CheckAsync(repo, revision, ct);
                    return Results.Ok(new LiveDto(a.Live, a.Behind, a.Revision, a.Masters));
                }))
            .WithTags("Sync")
            .WithSummary("Whether the revision (or a descendant) is live on every enabled master carrying the repo; lists those behind.")
            .Produces<LiveDto>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/checks/nagios", (IFleetMonitor fleet, ProductionWatcher watcher, TimeProvider time) =>
            {
                var r = NagiosCheck.Evaluate(fleet.Current.Masters, watcher.Current, time.GetUtcNow());
                return Results.Text(r.Text + "\n", "text/plain", statusCode: r.State == NagiosState.Critical ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
            })
            .WithTags("Sync")
            .WithSummary("Nagios plugin text (OK/WARNING 200, CRITICAL 503): drift past the alarm, a parked auto-reconfig, unreachable masters.");

        api.MapGet("/production", async (int? take, ProductionLog log, CancellationToken ct) => await log.ListAsync(Math.Clamp(take ?? 30, 1, 200), ct))
            .WithTags("Sync")
            .WithSummary("Reconfigs newest first: per repo before → after on which masters, and the upstream commits in between.");
        return api;
    }

    public static SyncDto From(SyncStatus s) => new(
        s.AutoReconfig, System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(s.Decision.Action.ToString()), s.Decision.Reason, s.Decision.Until, s.Decision.Campaign,
        [.. s.Tips.Select(t => new TipDto(t.Repo, t.Branch, t.Revision, t.MovedAt))],
        FreezeDto.From(s.Freeze), s.BehindSince, s.Drifting, s.Last?.CampaignId,
        s.Last is null ? null : System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(s.Last.State.ToString()));

    private static string Actor(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "unknown" : "anonymous";

    private static async Task<IResult> RunAsync(Func<Task<IResult>> f)
    {
        try
        {
            return await f();
        }
        catch (SyncRefusedException ex)
        {
            return Results.Problem(statusCode: ex.StatusCode, title: ex.Message);
        }
    }
}
