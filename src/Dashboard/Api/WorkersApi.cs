using System.Security.Claims;
using Wrangler.Core.Auth;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Workers;

namespace Wrangler.Dashboard.Api;

public sealed record RunningBuildDto(string Master, string Builder, int Number, Uri Url, DateTimeOffset? StartedAt);

/// <summary>One worker as the Workers issue's contract spells it.</summary>
public record WorkerEntryDto(
    string Name,
    string Pool,
    IReadOnlyList<string> ConnectedTo,
    IReadOnlyList<string> ConfiguredOn,
    bool Paused,
    bool Graceful,
    WorkerStatus State,
    IReadOnlyList<RunningBuildDto> RunningBuilds,
    DateTimeOffset? LastConnectedAt,
    DateTimeOffset? LastDisconnectedAt,
    DateTimeOffset? LastBuildStartedAt,
    DateTimeOffset? LastBuildFinishedAt,
    string? LastBuildResult,
    DateTimeOffset? LastCycleAt,
    Liveness Liveness,
    string? LivenessDetail,
    string? Version,
    string? Host,
    BuildRef? LastBuild,
    ExpectedIdleMark? ExpectedIdle,
    DateTimeOffset? PausedUntil,
    string? CyclePhase,
    DateTimeOffset? CyclePhaseAt,
    DateTimeOffset? CycleStartedAt)
{
    public static WorkerEntryDto From(WorkerView w) => new(
        w.Name, w.Pool, w.ConnectedTo, w.ConfiguredOn, w.Paused, w.Graceful, w.State,
        [.. w.RunningBuilds.Select(b => new RunningBuildDto(b.Master, b.Builder, b.Number, b.Url, b.StartedAt))],
        w.LastConnectedAt, w.LastDisconnectedAt, w.LastBuildStartedAt, w.LastBuildFinishedAt, w.LastBuildResult, w.LastCycleAt,
        w.Liveness, w.LivenessDetail, w.Version, w.Host, w.LastBuild, w.ExpectedIdle, w.PausedUntil,
        w.CyclePhase, w.CyclePhaseAt, w.CycleStartedAt);
}

/// <summary><see cref="WorkerEntryDto"/> plus the connection history and the worker's recent builds across every master.</summary>
public sealed record WorkerDetailDto : WorkerEntryDto
{
    public WorkerDetailDto(WorkerEntryDto basic) : base(basic)
    {
    }

    public required IReadOnlyList<WorkerConnectionEvent> History { get; init; }
    public required IReadOnlyList<BuildRef> RecentBuilds { get; init; }

    /// <summary>Its runner's last cycles, newest first, each phase with how long it took; empty for a worker no runner reports on.</summary>
    public required IReadOnlyList<WorkerCycle> Cycles { get; init; }
}

public sealed record CycleReportRequest(string? Phase, string? Detail, DateTimeOffset? At);

public sealed record WorkerActionRequest(string? Reason, DateTimeOffset? Until);

public static class WorkersApi
{
    public static RouteGroupBuilder MapWorkersApi(this RouteGroupBuilder api)
    {
        var workers = api.MapGroup("/workers").WithTags("Workers");
        workers.MapGet("/", (WorkerTracker tracker) => tracker.List().Select(WorkerEntryDto.From).ToList())
            .WithSummary("Every worker any enabled master has configured or connected, with state, builds, connection times and liveness.");
        workers.MapGet("/{name}", async (string name, WorkerTracker tracker, CycleReports cycles, CancellationToken ct) =>
            {
                if (tracker.Find(name) is not { } w)
                {
                    return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"no worker named '{name}' on any enabled master");
                }

                return Results.Ok(new WorkerDetailDto(WorkerEntryDto.From(w))
                {
                    History = await tracker.HistoryAsync(name, 100, ct),
                    RecentBuilds = tracker.Builds(worker: name),
                    Cycles = await cycles.CyclesAsync(name, 10, ct),
                });
            })
            .WithSummary("One worker, with its connection history (what Wrangler saw, with the master) and its recent builds on every master.")
            .Produces<WorkerDetailDto>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        foreach (var (path, action) in new[]
                 {
                     ("pause", WorkerAction.Pause), ("unpause", WorkerAction.Unpause),
                     ("gracefulShutdown", WorkerAction.GracefulStop), ("kill", WorkerAction.Kill),
                 })
        {
            workers.MapPost("/{name}/" + path, (string name, WorkerActionRequest? body, WorkerControl control, ClaimsPrincipal user, CancellationToken ct) =>
                    RunAsync(async () => Results.Ok(WorkerEntryDto.From(await control.ControlAsync(name, action, body?.Reason, body?.Until, Actor(user), ct)))))
                .RequireAuthorization(Roles.Operator)
                .WithSummary($"Sends {path} to the master the worker is connected to, audited; needs a reason. 409 when it is not connected, 404 for an unknown name."
                    + (action == WorkerAction.Pause ? " With 'until', Wrangler lifts the pause at that time." : ""))
                .Produces<WorkerEntryDto>()
                .ProducesProblem(StatusCodes.Status400BadRequest)
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status409Conflict);
        }

        workers.MapPut("/{name}/expectedIdle", (string name, WorkerActionRequest? body, WorkerControl control, ClaimsPrincipal user, CancellationToken ct) =>
                RunAsync(async () => Results.Ok(WorkerEntryDto.From(await control.MarkExpectedIdleAsync(name, body?.Reason, body?.Until, Actor(user), ct)))))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Marks a worker idle on purpose until the given time (reason and until required): the worker check does not alarm for it.");
        workers.MapDelete("/{name}/expectedIdle", (string name, WorkerControl control, ClaimsPrincipal user, CancellationToken ct) =>
                RunAsync(async () => Results.Ok(WorkerEntryDto.From(await control.ClearExpectedIdleAsync(name, Actor(user), ct)))))
            .RequireAuthorization(Roles.Operator)
            .WithSummary("Removes the expected-idle mark.");

        api.MapGet("/builds", (string? master, string? builder, int? number, string? worker, bool? running, WorkerTracker tracker) =>
                tracker.Builds(master, builder, number, worker, running))
            .WithTags("Workers")
            .WithSummary("Builds across the fleet, running and finished within Wrangler:Workers:BuildHistory, newest first: where did it run.");

        api.MapGet("/checks/nagios/workers", (string? pool, string? worker, WorkerTracker tracker) =>
            {
                var all = tracker.List();
                var scoped = all.Where(w => (pool is null || w.Pool == pool) && (worker is null || w.Name == worker)).ToList();
                if ((pool is not null || worker is not null) && scoped.Count == 0)
                {
                    return Results.Text($"UNKNOWN - no worker matches{(pool is null ? "" : " pool " + pool)}{(worker is null ? "" : " worker " + worker)}\n", "text/plain", statusCode: StatusCodes.Status404NotFound);
                }

                var r = WorkerCheck.Evaluate(scoped, pool is not null ? "pool " + pool : worker);
                return Results.Text(r.Text + "\n", "text/plain", statusCode: r.State == Core.Sync.NagiosState.Critical ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
            })
            .WithTags("Workers")
            .WithSummary("Nagios plugin text for workers (OK/WARNING 200, CRITICAL 503): missing past MissingAfter or stalled past CycleDeadline; expected-idle ones never alarm.");
        return api;
    }

    /// <summary>wrangler-runner's reports (docs/runner.md); a reporter token's one endpoint.</summary>
    public static RouteGroupBuilder MapCycleReportApi(this RouteGroupBuilder api)
    {
        api.MapPost("/workers/{name}/cycle", async (string name, CycleReportRequest? body, CycleReports cycles, CancellationToken ct) =>
            {
                if (cycles.Problem(name, body?.Phase, body?.Detail, body?.At) is { } problem)
                {
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: problem);
                }

                var stored = await cycles.RecordAsync(name, body!.Phase!, body.Detail, body.At, ct);
                return Results.Created($"/api/v1/workers/{Uri.EscapeDataString(name)}", stored);
            })
            .WithTags("Workers")
            .WithSummary("A turn of the worker's cycle from wrangler-runner: phase (preflight, started, connected, shutdownRequested, stopped, postflight, halted, failed), detail, at. Reporter tokens only.")
            .Produces<CycleReportView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static string Actor(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true ? user.Identity.Name ?? "unknown" : "anonymous";

    private static async Task<IResult> RunAsync(Func<Task<IResult>> f)
    {
        try
        {
            return await f();
        }
        catch (WorkerRefusedException ex)
        {
            var status = ex.Kind switch
            {
                WorkerRefusal.NotFound => StatusCodes.Status404NotFound,
                WorkerRefusal.NotConnected => StatusCodes.Status409Conflict,
                WorkerRefusal.Invalid => StatusCodes.Status400BadRequest,
                WorkerRefusal.Follower => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status502BadGateway,
            };
            return Results.Problem(statusCode: status, title: ex.Message);
        }
    }
}
