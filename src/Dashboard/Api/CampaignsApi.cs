using System.Security.Claims;
using Wrangler.Core.Auth;
using Wrangler.Core.Campaigns;

namespace Wrangler.Dashboard.Api;

public sealed record CampaignCreatedDto(long Id, CampaignState State, IReadOnlyList<IReadOnlyList<string>> Waves);

public sealed record StepDto(StepKind Name, StepState State, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Detail);

public sealed record CampaignMasterDto(string Name, string Bucket, int Wave, MasterRunState State, string? Detail, string? PendingDecision, IReadOnlyList<StepDto> Steps);

public sealed record CampaignDto(
    long Id,
    CampaignKind Kind,
    CampaignState State,
    string? StateDetail,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    string? ApprovedBy,
    DateTimeOffset? ApprovedAt,
    string? Reason,
    IReadOnlyList<IReadOnlyList<string>> Waves,
    CampaignPolicy Policy,
    IReadOnlyList<CampaignMasterDto> Masters)
{
    /// <summary>The schedule that started it (null for a person's or automation's campaign).</summary>
    public long? ScheduleId { get; init; }

    /// <summary>End of the schedule's window: masters not started by then are skipped.</summary>
    public DateTimeOffset? NotAfter { get; init; }

    public static CampaignDto From(CampaignView v) => new(
        v.Id, v.Kind, v.State, v.StateDetail, v.CreatedBy, v.CreatedAt, v.ApprovedBy, v.ApprovedAt, v.Reason,
        [.. v.Plan.Waves.Select(w => (IReadOnlyList<string>)[.. w])],
        v.Request.Policy,
        [.. v.Masters.Select(m => new CampaignMasterDto(m.Name, m.Bucket, m.Wave, m.State, m.Detail, m.PendingDecision,
            [.. m.Steps.Select(s => new StepDto(s.Kind, s.State, s.StartedAt, s.EndedAt, s.Detail))]))])
    {
        ScheduleId = v.ScheduleId,
        NotAfter = v.NotAfter,
    };
}

public sealed record ActionDto(string? Reason);

public static class CampaignsApi
{
    public static RouteGroupBuilder MapCampaignsApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/campaigns").WithTags("Campaigns");
        g.MapPost("/preview", (CampaignRequest request, CampaignService campaigns) => Run(() => Results.Ok(campaigns.Preview(request))))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("The plan a request would produce: waves, capacity lost per bucket, estimate. Touches nothing.");
        g.MapPost("/", async (CampaignRequest request, CampaignService campaigns, ClaimsPrincipal user, CancellationToken ct) =>
                await RunAsync(async () =>
                {
                    var v = await campaigns.CreateAsync(request, Actor(user), ct);
                    return Results.Created($"/api/v1/campaigns/{v.Id}", new CampaignCreatedDto(v.Id, v.State, [.. v.Plan.Waves.Select(w => (IReadOnlyList<string>)[.. w])]));
                }))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Plans a campaign and waits for approval (or starts it, with approval \"none\").");
        g.MapGet("/", async (CampaignService campaigns, CancellationToken ct) => (await campaigns.ListAsync(100, ct)).Select(CampaignDto.From).ToList())
            .WithSummary("Recent campaigns, active ones first.");
        g.MapGet("/{id:long}", async Task<IResult> (long id, CampaignService campaigns, CancellationToken ct) =>
                await campaigns.GetAsync(id, ct) is { } v ? Results.Ok(CampaignDto.From(v)) : Results.Problem(statusCode: 404, title: $"no campaign {id}"))
            .WithSummary("One campaign with every master's steps.");
        foreach (var (verb, command) in new[] { ("approve", CampaignCommand.Approve), ("pause", CampaignCommand.Pause), ("resume", CampaignCommand.Resume), ("abort", CampaignCommand.Abort) })
        {
            g.MapPost($"/{{id:long}}/{verb}", async (long id, ActionDto? body, CampaignService campaigns, ClaimsPrincipal user, CancellationToken ct) =>
                    Core.Input.InputRules.ReasonProblem("reason", body?.Reason) is { } problem
                        ? Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: problem)
                        : await RunAsync(async () => Results.Ok(CampaignDto.From(await campaigns.CommandAsync(id, command, Actor(user), body?.Reason?.Trim() is { Length: > 0 } r ? r : null, ct)))))
                .RequireAuthorization(Roles.Operator)
                .WithSummary($"{verb} the campaign");
        }

        foreach (var (verb, decision) in new[] { ("escalate", MasterDecision.Escalate), ("retry", MasterDecision.Retry), ("skip", MasterDecision.Skip) })
        {
            g.MapPost($"/{{id:long}}/masters/{{name}}/{verb}", async (long id, string name, CampaignService campaigns, ClaimsPrincipal user, CancellationToken ct) =>
                    await RunAsync(async () =>
                    {
                        await campaigns.DecideAsync(id, name, decision, Actor(user), ct);
                        return Results.Accepted();
                    }))
                .RequireAuthorization(Roles.Operator)
                .WithSummary($"{verb} one master of the campaign");
        }

        return api;
    }

    // Every write requires an operator, so the name is always there; "anonymous" would mean the policy was bypassed.
    private static string Actor(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "unknown" : "anonymous";

    private static IResult Run(Func<IResult> f)
    {
        try
        {
            return f();
        }
        catch (CampaignRefusedException ex)
        {
            return Results.Problem(statusCode: ex.StatusCode, title: ex.Message);
        }
    }

    private static async Task<IResult> RunAsync(Func<Task<IResult>> f)
    {
        try
        {
            return await f();
        }
        catch (CampaignRefusedException ex)
        {
            return Results.Problem(statusCode: ex.StatusCode, title: ex.Message);
        }
    }
}
