using System.Globalization;
using System.Security.Claims;
using Wrangler.Core.Auth;
using Wrangler.Core.Scheduling;

namespace Wrangler.Dashboard.Api;

public sealed record ExcludedDateDto(string Date, string? Reason);

public static class SchedulesApi
{
    public static RouteGroupBuilder MapSchedulesApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/schedules").WithTags("Schedules");
        g.MapGet("/", async (ScheduleService s, CancellationToken ct) => await s.ListAsync(ct))
            .WithSummary("Every schedule with its cron in words, next five fire times (UTC) and last runs.");
        g.MapGet("/preview", (string? cron, string? timeZone, ScheduleService s) => s.Preview(cron, timeZone))
            .WithSummary("The next five fire times of a cron expression in a time zone, and its problems. Touches nothing.");
        g.MapGet("/{id:long}", async Task<IResult> (long id, ScheduleService s, CancellationToken ct) =>
                await s.GetAsync(id, ct) is { } v ? Results.Ok(v) : Results.Problem(statusCode: 404, title: $"no schedule {id}"))
            .WithSummary("One schedule.");
        g.MapGet("/{id:long}/preview", async Task<IResult> (long id, ScheduleService s, CancellationToken ct) =>
                await s.GetAsync(id, ct) is { } v ? Results.Ok(s.Preview(v.Cron, v.TimeZone)) : Results.Problem(statusCode: 404, title: $"no schedule {id}"))
            .WithSummary("The next five fire times of a stored schedule.");
        g.MapPost("/", async (ScheduleSpec spec, ScheduleService s, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () =>
                {
                    var v = await s.CreateAsync(spec, Actor(user), ct);
                    return Results.Created($"/api/v1/schedules/{v.Id}", v);
                }))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Creates a schedule; the caller's approval is every campaign's approval.");
        g.MapPut("/{id:long}", async (long id, ScheduleSpec spec, ScheduleService s, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () => Results.Ok(await s.UpdateAsync(id, spec, Actor(user), ct))))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Changes a schedule; the caller becomes its owner (approver).");
        g.MapDelete("/{id:long}", async (long id, ScheduleService s, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () =>
                {
                    await s.DeleteAsync(id, Actor(user), ct);
                    return Results.NoContent();
                }))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Deletes a schedule; its past campaigns stay.");
        g.MapPost("/{id:long}/enable", async (long id, ScheduleService s, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () => Results.Ok(await s.SetEnabledAsync(id, true, Actor(user), ct))))
            .RequireAuthorization(Roles.Operator).WithSummary("Enables a schedule; the caller becomes its owner.");
        g.MapPost("/{id:long}/disable", async (long id, ScheduleService s, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () => Results.Ok(await s.SetEnabledAsync(id, false, Actor(user), ct))))
            .RequireAuthorization(Roles.Operator).WithSummary("Disables a schedule.");
        g.MapPost("/{id:long}/run", async (long id, ScheduleService s, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () =>
                {
                    var c = await s.RunNowAsync(id, Actor(user), ct);
                    return Results.Created($"/api/v1/campaigns/{c.Id}", new CampaignCreatedDto(c.Id, c.State, [.. c.Plan.Waves.Select(w => (IReadOnlyList<string>)[.. w])]));
                }))
            .RequireAuthorization(Roles.Operator).WithSummary("Starts the schedule's campaign now, approved by the caller.");

        var cal = api.MapGroup("/calendars/excluded-dates").WithTags("Schedules");
        cal.MapGet("/", async (ScheduleService s, CancellationToken ct) => await s.ExcludedDatesAsync(ct))
            .WithSummary("Dates on which no schedule fires (in each schedule's own time zone).");
        cal.MapPost("/", async (ExcludedDateDto body, ScheduleService s, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () =>
                {
                    var date = ParseDate(body.Date);
                    await s.AddExcludedDateAsync(date, body.Reason, Actor(user), ct);
                    return Results.Created($"/api/v1/calendars/excluded-dates/{date:yyyy-MM-dd}", body);
                }))
            .RequireAuthorization(Roles.Operator).WithSummary("Excludes a date (yyyy-MM-dd) with a reason, e.g. a release freeze.");
        cal.MapDelete("/{date}", async (string date, ScheduleService s, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () =>
                {
                    await s.RemoveExcludedDateAsync(ParseDate(date), Actor(user), ct);
                    return Results.NoContent();
                }))
            .RequireAuthorization(Roles.Operator).WithSummary("Removes an excluded date.");
        return api;
    }

    private static DateOnly ParseDate(string? text) =>
        DateOnly.TryParseExact(text?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new ScheduleRefusedException($"date \"{(text?.Length > 40 ? text[..40] + "…" : text)}\" is not a date in the form yyyy-MM-dd");

    private static string Actor(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "unknown" : "anonymous";

    private static async Task<IResult> RunAsync(Func<Task<IResult>> f)
    {
        try
        {
            return await f();
        }
        catch (ScheduleRefusedException ex)
        {
            return Results.Problem(statusCode: ex.StatusCode, title: ex.Message);
        }
    }
}
