using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Persistence;

namespace Wrangler.Dashboard.Api;

public sealed record AuditEventDto(DateTimeOffset At, string Actor, string Kind, string Subject, string? Detail);

public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/audit").WithTags("Audit");
        g.MapGet("/", async (string? actor, string? kind, DateTimeOffset? from, DateTimeOffset? to, IDbContextFactory<WranglerDb> dbs, CancellationToken ct) =>
                (await AuditLog.QueryAsync(dbs, new AuditFilter(actor, kind, from, to), ct)).Select(e => new AuditEventDto(e.At, e.Actor, e.Kind, e.Subject, e.Detail)).ToList())
            .WithSummary("Audit events, newest first; kind matches by prefix (\"auth.\").");
        g.MapGet("/csv", async (string? actor, string? kind, DateTimeOffset? from, DateTimeOffset? to, IDbContextFactory<WranglerDb> dbs, CancellationToken ct) =>
                Results.File(System.Text.Encoding.UTF8.GetBytes(AuditLog.ToCsv(await AuditLog.QueryAsync(dbs, new AuditFilter(actor, kind, from, to, 100_000), ct))), "text/csv; charset=utf-8", "wrangler-audit.csv"))
            .WithSummary("The same events as CSV, for a spreadsheet.");
        return api;
    }
}
