using System.Text;
using Microsoft.EntityFrameworkCore;

namespace Wrangler.Core.Persistence;

/// <summary>Which audit events to show: by who (exact), kind (prefix, so "auth." matches every sign-in event) and time.</summary>
public sealed record AuditFilter(string? Actor = null, string? Kind = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Limit = 1000);

public static class AuditLog
{
    public static async Task<List<AuditEvent>> QueryAsync(IDbContextFactory<WranglerDb> dbs, AuditFilter f, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.AuditEvents.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(f.Actor))
        {
            q = q.Where(e => e.Actor == f.Actor.Trim());
        }

        if (!string.IsNullOrWhiteSpace(f.Kind))
        {
            q = q.Where(e => e.Kind.StartsWith(f.Kind.Trim()));
        }

        if (f.From is { } from)
        {
            q = q.Where(e => e.At >= from);
        }

        if (f.To is { } to)
        {
            q = q.Where(e => e.At < to);
        }

        return await q.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(Math.Clamp(f.Limit, 1, 100_000)).ToListAsync(ct);
    }

    public static string ToCsv(IEnumerable<AuditEvent> events)
    {
        var sb = new StringBuilder("at,actor,kind,subject,detail\r\n");
        foreach (var e in events)
        {
            sb.Append(Field(e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture))).Append(',')
                .Append(Field(e.Actor)).Append(',').Append(Field(e.Kind)).Append(',').Append(Field(e.Subject)).Append(',').Append(Field(e.Detail)).Append("\r\n");
        }

        return sb.ToString();
    }

    // Names and reasons are typed by people (or by someone guessing passwords); a leading = + - @ would run as a
    // formula when the export is opened in a spreadsheet, so such a field is prefixed with a quote.
    private static string Field(string? value)
    {
        var v = value ?? "";
        if (v.Length > 0 && v[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            v = "'" + v;
        }

        return v.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
    }
}
