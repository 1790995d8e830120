using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Input;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Workers;

/// <summary>One turn of a worker's cycle as wrangler-runner reported it (docs/runner.md), stored as received.</summary>
public sealed class CycleReportRecord
{
    public long Id { get; set; }
    public required string Worker { get; set; }
    public required string Phase { get; set; }
    public string? Detail { get; set; }

    /// <summary>When it happened, by the worker host's clock.</summary>
    public DateTimeOffset At { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
}

public sealed record CycleReportView(long Id, string Phase, string? Detail, DateTimeOffset At, DateTimeOffset ReceivedAt);

/// <summary>A phase within a cycle and how long it lasted (until the next report; for the last, until now).</summary>
public sealed record CyclePhaseSpan(string Phase, DateTimeOffset At, TimeSpan Took, bool Current, string? Detail);

/// <summary>One cycle: from a <c>preflight</c> report up to the next one.</summary>
public sealed record WorkerCycle(DateTimeOffset StartedAt, IReadOnlyList<CyclePhaseSpan> Phases)
{
    public string Phase => Phases[^1].Phase;
    public TimeSpan Took => Phases[^1].At + Phases[^1].Took - StartedAt;
}

/// <summary>Receives, stores and groups the runner's cycle reports; the latest also goes to the tracker for liveness.</summary>
public sealed class CycleReports(IDbContextFactory<WranglerDb> dbs, WorkerTracker tracker, TimeProvider time)
{
    public const int MaxDetail = 4000;

    /// <summary>How far a worker host's clock may run ahead of Wrangler's before its report is refused.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    public static readonly IReadOnlyList<string> Phases =
        ["preflight", "started", "connected", "shutdownRequested", "stopped", "postflight", "halted", "failed"];

    /// <summary>Null when the report may be stored, else what is wrong with it, naming the field.</summary>
    public string? Problem(string worker, string? phase, string? detail, DateTimeOffset? at)
    {
        if (InputRules.NameProblem("name", worker) is { } p)
        {
            return p;
        }

        if (phase is null || !Phases.Contains(phase))
        {
            return $"phase must be one of {string.Join(", ", Phases)}";
        }

        if (detail is { Length: > MaxDetail })
        {
            return $"detail must be at most {MaxDetail} characters (was {detail.Length})";
        }

        var now = time.GetUtcNow();
        return at is { } a && (a > now + MaxSkew || a < now - TimeSpan.FromDays(30))
            ? $"at must be within the last 30 days and not more than {WorkerRules.Span(MaxSkew)} ahead of Wrangler's clock ({now:O})"
            : null;
    }

    public async Task<CycleReportView> RecordAsync(string worker, string phase, string? detail, DateTimeOffset? at, CancellationToken ct)
    {
        // Task output is stored as text a page can show safely: control and bidi characters written out, line breaks kept.
        var row = new CycleReportRecord
        {
            Worker = worker.Trim(),
            Phase = phase,
            Detail = Shown(detail),
            At = at ?? time.GetUtcNow(),
            ReceivedAt = time.GetUtcNow(),
        };
        await using (var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false))
        {
            // The runner sends at least once (a reply lost on its way out is sent again): the same report is stored once.
            var same = await db.CycleReports.AsNoTracking()
                .FirstOrDefaultAsync(r => r.Worker == row.Worker && r.At == row.At && r.Phase == row.Phase, ct).ConfigureAwait(false);
            if (same is not null)
            {
                return View(same);
            }

            db.CycleReports.Add(row);
            await db.SaveChangesAsync(ct).ConfigureAwait(false);
        }

        tracker.RecordCycle(row.Worker, row.Phase, row.Detail, row.At);
        return View(row);
    }

    /// <summary>The worker's last reports, newest first.</summary>
    public async Task<IReadOnlyList<CycleReportView>> RecentAsync(string worker, int take, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct).ConfigureAwait(false);
        var rows = await db.CycleReports.AsNoTracking().Where(r => r.Worker == worker)
            .OrderByDescending(r => r.At).ThenByDescending(r => r.Id).Take(take).ToListAsync(ct).ConfigureAwait(false);
        return [.. rows.Select(View)];
    }

    /// <summary>The worker's last cycles, newest first, each with its phases and their durations.</summary>
    public async Task<IReadOnlyList<WorkerCycle>> CyclesAsync(string worker, int cycles, CancellationToken ct) =>
        Group(await RecentAsync(worker, cycles * 10, ct).ConfigureAwait(false), time.GetUtcNow()).Take(cycles).ToList();

    /// <summary>Reports (any order) into cycles, newest first; reports before the first <c>preflight</c> make a partial cycle.</summary>
    public static IReadOnlyList<WorkerCycle> Group(IReadOnlyList<CycleReportView> reports, DateTimeOffset now)
    {
        var ordered = reports.OrderBy(r => r.At).ThenBy(r => r.Id).ToList();
        var cycles = new List<List<CycleReportView>>();
        foreach (var r in ordered)
        {
            if (r.Phase == "preflight" || cycles.Count == 0)
            {
                cycles.Add([]);
            }

            cycles[^1].Add(r);
        }

        var result = new List<WorkerCycle>();
        for (var c = 0; c < cycles.Count; c++)
        {
            var list = cycles[c];
            var end = c + 1 < cycles.Count ? cycles[c + 1][0].At : (DateTimeOffset?)null;
            var spans = new List<CyclePhaseSpan>();
            for (var i = 0; i < list.Count; i++)
            {
                var next = i + 1 < list.Count ? list[i + 1].At : end;
                var took = (next ?? now) - list[i].At;
                spans.Add(new CyclePhaseSpan(list[i].Phase, list[i].At, took < TimeSpan.Zero ? TimeSpan.Zero : took, next is null, list[i].Detail));
            }

            result.Add(new WorkerCycle(list[0].At, spans));
        }

        result.Reverse();
        return result;
    }

    private static string? Shown(string? detail)
    {
        if (detail is null)
        {
            return null;
        }

        var shown = InputRules.Reveal(detail, keepLineBreaks: true);
        return shown.Length > MaxDetail ? shown[^MaxDetail..] : shown;
    }

    private static CycleReportView View(CycleReportRecord r) => new(r.Id, r.Phase, r.Detail, r.At, r.ReceivedAt);
}
