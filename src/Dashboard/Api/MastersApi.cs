using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Fleet;
using Wrangler.Core.Persistence;

namespace Wrangler.Dashboard.Api;

public sealed record WorkersDto(int Connected, int Paused, int Graceful);

public sealed record RepoDto(string Name, string Branch, string? Revision, string? TipRevision, bool? InSync);

/// <summary>One master as DESIGN.md's HTTP contract spells it.</summary>
public record MasterDto(
    string Name,
    string Hostname,
    MasterRole Role,
    string Bucket,
    string Datacentre,
    string Environment,
    bool Enabled,
    MasterStatus State,
    string? StateDetail,
    WorkersDto Workers,
    int RunningBuilds,
    int PendingRequests,
    IReadOnlyList<RepoDto> Repos,
    bool? InSync,
    DateTimeOffset? LastPolledAt,
    DateTimeOffset? LastRestartAt,
    DateTimeOffset? LastReconfigAt)
{
    /// <summary>When Wrangler first saw this master behind the production tip (null while in sync).</summary>
    public DateTimeOffset? BehindSince { get; init; }

    /// <summary>Behind for longer than <c>Wrangler:Sync:DriftAlarmAfter</c>: the drift alarm.</summary>
    public bool DriftAlarm { get; init; }

    public static MasterDto From(MasterState s, Core.Sync.SyncStatus sync) => From(s) with
    {
        BehindSince = sync.BehindSince.TryGetValue(s.Name, out var since) ? since : null,
        DriftAlarm = sync.Drifting.Contains(s.Name),
    };

    public static MasterDto From(MasterState s) => new(
        s.Name, s.Master.Hostname, s.Master.Role, s.Master.Bucket, s.Master.Datacentre, s.Master.Environment, s.Master.Enabled,
        s.Status, s.StatusDetail,
        new WorkersDto(s.Workers.Connected, s.Workers.Paused, s.Workers.Graceful),
        s.RunningBuilds.Length, s.PendingRequests,
        [.. s.Repos.Select(r => new RepoDto(r.Name, r.Branch, r.Revision, r.TipRevision, r.InSync))],
        s.InSync, s.LastPolledAt, s.LastRestartAt, s.LastReconfigAt);
}

public sealed record WorkerDto(string Name, bool Connected, bool Paused, bool Graceful);

public sealed record BuildDto(string Builder, int Number, string? Worker, DateTimeOffset? StartedAt, string? StateString, Uri Url);

public sealed record StateChangeDto(DateTimeOffset At, string? From, string To, string? Detail);

/// <summary><see cref="MasterDto"/> plus what the master page shows.</summary>
public sealed record MasterDetailDto : MasterDto
{
    public MasterDetailDto(MasterDto basic) : base(basic)
    {
    }

    public required Uri WebUrl { get; init; }
    public required Uri ApiUrl { get; init; }
    public required string Basedir { get; init; }
    public required string MasterDir { get; init; }
    public int WorkersConfigured { get; init; }
    public required IReadOnlyList<WorkerDto> WorkerList { get; init; }
    public required IReadOnlyList<BuildDto> Builds { get; init; }
    public bool LockPresent { get; init; }
    public double? HostUptimeSeconds { get; init; }
    public double? PollMilliseconds { get; init; }
    public required IReadOnlyList<StateChangeDto> RecentChanges { get; init; }
}

public static class MastersApi
{
    public static RouteGroupBuilder MapMastersApi(this RouteGroupBuilder api)
    {
        var masters = api.MapGroup("/masters").WithTags("Masters");
        masters.MapGet("/", (IFleetMonitor fleet, Core.Sync.ProductionWatcher sync) => fleet.Current.Masters.Select(m => MasterDto.From(m, sync.Current)).ToList())
            .WithName("ListMasters")
            .WithSummary("Every master in the inventory with its latest observed state.");
        masters.MapGet("/{name}", async Task<IResult> (string name, IFleetMonitor fleet, Core.Sync.ProductionWatcher sync, IDbContextFactory<WranglerDb> dbs, CancellationToken ct) =>
            {
                var s = fleet.Find(name);
                if (s is null)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"no master named '{name}' in the inventory");
                }

                var history = await RecentChangesAsync(dbs, name, 50, ct);
                return TypedResults.Ok(Detail(s, history, sync.Current));
            })
            .WithName("GetMaster")
            .WithSummary("One master with its workers, running builds and recent state changes.")
            .Produces<MasterDetailDto>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public static async Task<IReadOnlyList<StateChangeDto>> RecentChangesAsync(IDbContextFactory<WranglerDb> dbs, string name, int count, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.MasterStateChanges.AsNoTracking()
            .Where(c => c.Master == name)
            .OrderByDescending(c => c.At).ThenByDescending(c => c.Id)
            .Take(count)
            .Select(c => new StateChangeDto(c.At, c.From, c.To, c.Detail))
            .ToListAsync(ct);
    }

    public static MasterDetailDto Detail(MasterState s, IReadOnlyList<StateChangeDto> history, Core.Sync.SyncStatus? sync = null) => new(sync is null ? MasterDto.From(s) : MasterDto.From(s, sync))
    {
        WebUrl = s.Master.WebUrl(),
        ApiUrl = s.Master.ApiUrl,
        Basedir = s.Master.Basedir,
        MasterDir = s.Master.MasterDir,
        WorkersConfigured = s.Workers.Configured,
        WorkerList = [.. s.WorkerList.Select(w => new WorkerDto(w.Name, w.Connected, w.Paused, w.Graceful))],
        Builds = [.. s.RunningBuilds.Select(b => new BuildDto(b.BuilderName, b.Number, b.WorkerName, b.StartedAt, b.StateString, s.Master.BuildUrl(b.BuilderId, b.Number)))],
        LockPresent = s.LockPresent,
        HostUptimeSeconds = s.HostUptime?.TotalSeconds,
        PollMilliseconds = s.PollDuration?.TotalMilliseconds,
        RecentChanges = history,
    };
}
