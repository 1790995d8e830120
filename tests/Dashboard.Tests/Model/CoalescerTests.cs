using Wrangler.Dashboard.Model;

namespace Wrangler.Dashboard.Tests.Model;

/// <summary>The batching behind the campaign page's live output: many lines, few renders, the last line never lost.</summary>
public sealed class CoalescerTests
{
    [Fact]
    public async Task A_burst_of_pokes_gives_one_refresh_after_the_interval()
    {
        var refreshes = 0;
        var coalescer = new Coalescer(TimeSpan.FromMilliseconds(500), () => { Interlocked.Increment(ref refreshes); return Task.CompletedTask; }, TimeProvider.System);

        for (var i = 0; i < 5_000; i++)
        {
            coalescer.Poke();
        }

        Assert.Equal(0, Volatile.Read(ref refreshes));
        await WaitUntilAsync(() => Volatile.Read(ref refreshes) >= 1);
        await Task.Delay(800);
        Assert.Equal(1, Volatile.Read(ref refreshes));
    }

    [Fact]
    public async Task Steady_pokes_refresh_at_most_once_per_interval_and_the_last_poke_is_always_seen()
    {
        var interval = TimeSpan.FromMilliseconds(100);
        var produced = 0;
        var seenAtRefresh = new List<(int Produced, long At)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var coalescer = new Coalescer(interval, () =>
        {
            lock (seenAtRefresh)
            {
                seenAtRefresh.Add((Volatile.Read(ref produced), clock.ElapsedMilliseconds));
            }

            return Task.CompletedTask;
        }, TimeProvider.System);

        // ~1 s of lines, twenty every ~2 ms: a loaded machine may sleep far longer than 2 ms, and still every
        // refresh must batch many lines.
        while (clock.ElapsedMilliseconds < 1000)
        {
            for (var i = 0; i < 20; i++)
            {
                Interlocked.Increment(ref produced);
                coalescer.Poke();
            }

            await Task.Delay(2);
        }

        var total = Volatile.Read(ref produced);
        await WaitUntilAsync(() => { lock (seenAtRefresh) { return seenAtRefresh.Count > 0 && seenAtRefresh[^1].Produced == total; } });

        lock (seenAtRefresh)
        {
            // Hundreds of lines, about ten renders: never more than one per interval (a timer never fires early).
            Assert.InRange(seenAtRefresh.Count, 2, (int)(clock.ElapsedMilliseconds / interval.TotalMilliseconds) + 1);
            Assert.True(total > 5 * seenAtRefresh.Count, $"{total} pokes, {seenAtRefresh.Count} refreshes");
            var gaps = seenAtRefresh.Zip(seenAtRefresh.Skip(1), (a, b) => b.At - a.At).ToList();
            Assert.All(gaps, g => Assert.True(g >= interval.TotalMilliseconds - 15, $"two refreshes {g} ms apart"));
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 10 s");
            await Task.Delay(10);
        }
    }
}
