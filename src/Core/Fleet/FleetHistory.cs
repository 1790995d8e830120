using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Fleet;

/// <summary>A master's state over a stretch of time, from its stored state changes.</summary>
public sealed record StateInterval(string Master, string State, DateTimeOffset From, DateTimeOffset To);

/// <summary>One slot of the fleet page's strip: how many masters were unreachable, and behind production, at some moment in it.</summary>
public sealed record FleetSlot(DateTimeOffset From, DateTimeOffset To, int Unreachable, int Behind);

/// <summary>
/// The last hours of the fleet as intervals and slots, for the fleet page's 24-hour strip. Unreachable comes from the
/// stored state changes (FleetMonitor writes one per change, MasterStateChanges); behind comes from the production
/// watcher's BehindSince, which knows only each master's current stretch behind, so earlier stretches are not drawn.
/// </summary>
public static class FleetHistory
{
    public const string Unreachable = "unreachable";

    /// <summary>Each master's intervals in [from, to]; the state before the first change in the window is the last one before it.</summary>
    public static IReadOnlyList<StateInterval> Intervals(IEnumerable<MasterStateChangeRecord> changes, DateTimeOffset from, DateTimeOffset to)
    {
        var result = new List<StateInterval>();
        foreach (var master in changes.GroupBy(c => c.Master, StringComparer.Ordinal))
        {
            var ordered = master.OrderBy(c => c.At).ThenBy(c => c.Id).ToList();
            for (var i = 0; i < ordered.Count; i++)
            {
                var start = ordered[i].At < from ? from : ordered[i].At;
                var end = i + 1 < ordered.Count ? ordered[i + 1].At : to;
                if (end > to)
                {
                    end = to;
                }
                if (end > start)
                {
                    result.Add(new StateInterval(master.Key, ordered[i].To, start, end));
                }
            }
        }
        return result;
    }

    /// <summary>The window cut into <paramref name="count"/> equal slots, each with the most masters unreachable and behind at once in it.</summary>
    public static IReadOnlyList<FleetSlot> Slots(IReadOnlyList<StateInterval> intervals, IReadOnlyDictionary<string, DateTimeOffset> behindSince,
        DateTimeOffset from, DateTimeOffset to, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var width = (to - from) / count;
        var unreachable = intervals.Where(i => i.State == Unreachable).Select(i => (i.From, i.To)).ToList();
        var behind = behindSince.Values.Select(since => (From: since < from ? from : since, To: to)).ToList();
        var slots = new FleetSlot[count];
        for (var n = 0; n < count; n++)
        {
            var start = from + width * n;
            var end = n == count - 1 ? to : start + width;
            slots[n] = new FleetSlot(start, end, MostAtOnce(unreachable, start, end), MostAtOnce(behind, start, end));
        }
        return slots;
    }

    /// <summary>Reads the window's changes, plus each master's last change before it (its state when the window opens).</summary>
    public static async Task<IReadOnlyList<StateInterval>> LoadAsync(IDbContextFactory<WranglerDb> dbs, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var inWindow = await db.MasterStateChanges.AsNoTracking().Where(c => c.At >= from && c.At <= to).ToListAsync(ct);
        var before = await db.MasterStateChanges.AsNoTracking()
            .Where(c => c.At < from)
            .GroupBy(c => c.Master)
            .Select(g => g.OrderByDescending(c => c.At).ThenByDescending(c => c.Id).First())
            .ToListAsync(ct);
        return Intervals([.. before, .. inWindow], from, to);
    }

    // Sweep the overlapping intervals' ends in time order: the highest count reached is the most at once.
    private static int MostAtOnce(IReadOnlyList<(DateTimeOffset From, DateTimeOffset To)> intervals, DateTimeOffset start, DateTimeOffset end)
    {
        var events = new List<(DateTimeOffset At, int Delta)>();
        foreach (var (f, t) in intervals)
        {
            if (f < end && t > start)
            {
                events.Add((f < start ? start : f, 1));
                events.Add((t > end ? end : t, -1));
            }
        }
        var most = 0;
        var now = 0;
        foreach (var (_, delta) in events.OrderBy(e => e.At).ThenBy(e => e.Delta))
        {
            now += delta;
            most = Math.Max(most, now);
        }
        return most;
    }
}
