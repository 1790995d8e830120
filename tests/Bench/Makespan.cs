using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Wrangler.Core;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Demo;
using Wrangler.Core.Fleet;
using Wrangler.Core.Leases;
using Wrangler.Core.Persistence;
using Wrangler.Core.Remote;

namespace Wrangler.Bench;

/// <summary>
/// Section 3: how long a campaign takes against the least it could take. The real engine (service, runner, steps,
/// SQLite) runs on a simulated demo fleet of N masters on a fake clock, as tests/Core.Tests/Campaigns/Engine does,
/// with host calls taking the time they report (<see cref="DemoFleet.CallsTakeTime"/>).
/// <para>
/// The lower bound is the largest, over buckets, of the bucket's first pre-check plus the sum of its unavoidable
/// out-of-service time divided by perBucket. Per master that is, for a graceful restart, the drain as the master's own log times it (from
/// "Initiating clean shutdown" to "Server Shut Down"), plus the start step, plus the verify step; for a reconfig, the
/// update, checkconfig, reconfig and verify steps. Start and verify are counted as the engine timed them, so the
/// bound is generous to the engine there; what the ratio shows is everything else: pre-checks that did not overlap,
/// locks, ticks, lag. The first pre-check counts since the engine must run it after the approval and before anything
/// else of its bucket (see <c>FirstPreCheck</c>); the note also gives the ratio to the bound without it.
/// </para>
/// </summary>
internal sealed class Makespan(int masters, int perBucket, int maxParallel, TimeSpan drainTimeout)
{
    // 03:00 in California: a quiet fleet, a few builds still running, so drains last minutes, not hours.
    private static readonly DateTimeOffset Night = new(2026, 11, 23, 11, 0, 0, TimeSpan.Zero);

    // The pump's step on the fake clock: each wait in the engine ends at most this late.
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    public async Task<IReadOnlyList<Row>> RunAsync(CampaignKind kind, bool ahead = true)
    {
        var real = Stopwatch.StartNew();
        var dir = Directory.CreateTempSubdirectory("wrangler-makespan-").FullName;
        var before = CampaignRunner.RunPreChecksAhead;
        CampaignRunner.RunPreChecksAhead = ahead;
        try
        {
            var time = new FakeTimeProvider(Night);
            var fleet = new DemoFleet(time, 7, masters) { CallsTakeTime = true };
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Wrangler:Database"] = Path.Combine(dir, "wrangler.db"),
                ["Wrangler:Demo:Seed"] = "7",
                ["Wrangler:PollInterval"] = "00:00:15",
            }).Build();
            var sc = new ServiceCollection();
            sc.AddLogging();
            sc.AddSingleton<TimeProvider>(time);
            sc.AddWranglerCore(config, dir);
            sc.Replace(ServiceDescriptor.Singleton(fleet));
            await using var services = sc.BuildServiceProvider();
            var dbs = services.GetRequiredService<IDbContextFactory<WranglerDb>>();
            await using (var db = await dbs.CreateDbContextAsync())
            {
                await DatabaseSetup.MigrateAsync(db, CancellationToken.None);
            }

            // The only instance on this database leads, as in tests/Core.Tests/Campaigns/Engine/Engine.cs; without a
            // started lease CampaignService refuses every write as a follower would.
            var lease = services.GetRequiredService<LeaderLease>();
            var monitor = services.GetRequiredService<FleetMonitor>();
            var runner = ActivatorUtilities.CreateInstance<CampaignRunner>(services);
            var campaigns = services.GetRequiredService<CampaignService>();
            await lease.StartAsync(CancellationToken.None);
            await monitor.StartAsync(CancellationToken.None);
            await runner.StartAsync(CancellationToken.None);
            try
            {
                await PumpAsync(time, () => Task.FromResult(monitor.Current.Masters.Count(m => m.LastPolledAt is not null) >= fleet.Masters.Count(m => m.Enabled) - 1), TimeSpan.FromMinutes(5));
                var names = fleet.Masters.Where(m => m.Enabled).Select(m => m.Name).ToArray();
                var policy = new CampaignPolicy
                {
                    PerBucket = perBucket,
                    MaxParallel = maxParallel,
                    DrainTimeout = drainTimeout,
                    OnDrainTimeout = DrainTimeoutAction.HardStop,
                    FailureThreshold = 1000,
                };
                var c = await campaigns.CreateAsync(new CampaignRequest(kind, new Selector { Names = [.. names] }, policy), "bench", CancellationToken.None);
                var approvedAt = time.GetUtcNow();
                await campaigns.CommandAsync(c.Id, CampaignCommand.Approve, "bench", null, CancellationToken.None);

                // A master that fails (the demo has flaky hosts and a broken config) is skipped, as buildduty would.
                var skipped = new HashSet<string>();
                await PumpAsync(time, async () =>
                {
                    await using var db = await dbs.CreateDbContextAsync();
                    foreach (var failed in await db.CampaignMasters.Where(m => m.CampaignId == c.Id && m.State == MasterRunState.Failed).Select(m => m.Master).ToListAsync())
                    {
                        if (skipped.Add(failed))
                        {
                            await campaigns.DecideAsync(c.Id, failed, MasterDecision.Skip, "bench", CancellationToken.None);
                        }
                    }

                    return await db.Campaigns.AnyAsync(x => x.Id == c.Id && x.EndedAt != null);
                }, TimeSpan.FromDays(2));

                fleet.CallsTakeTime = false;
                var done = (await campaigns.GetAsync(c.Id, CancellationToken.None))!;
                var span = (done.Masters.Max(m => m.EndedAt) ?? time.GetUtcNow()) - approvedAt;
                var bound = LowerBound(kind, done, fleet, time, perBucket);
                var ok = done.Masters.Count(m => m.State == MasterRunState.Succeeded);
                var what = kind == CampaignKind.GracefulRestart ? "graceful restart" : "reconfig";
                var label = $"{what}, {masters} simulated masters, perBucket {perBucket}{(ahead ? "" : ", pre-checks NOT run ahead (before)")}";
                var note = string.Create(CultureInfo.InvariantCulture,
                    $"{span.TotalSeconds / bound.Value.TotalSeconds:0.000}× the lower bound {bound.Value.TotalSeconds:0} s ({span.TotalSeconds / bound.WithoutFirstPreCheck.TotalSeconds:0.000}× the bound without the first pre-check, {bound.WithoutFirstPreCheck.TotalSeconds:0} s); {ok} done, {skipped.Count} failed and skipped, {done.Plan.Excluded.Length} excluded; {real.Elapsed.TotalSeconds:0} s real");
                return [new Row("makespan", label, [span.TotalSeconds], "s", note)];
            }
            finally
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await runner.StopAsync(stop.Token);
                await lease.StopAsync(stop.Token);
                await monitor.StopAsync(stop.Token);
                runner.Dispose();
            }
        }
        finally
        {
            CampaignRunner.RunPreChecksAhead = before;
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The lower bound of the class comment, over the masters that succeeded.</summary>
    private static Bound LowerBound(CampaignKind kind, CampaignView c, DemoFleet fleet, FakeTimeProvider time, int perBucket)
    {
        // The demo's flaky hosts refuse ssh for a simulated minute or two, and the campaign may have ended inside
        // one (it failed a --quick run with 30 s drains): the log is read once the host answers again, as a person would.
        IReadOnlyList<string> LogOf(MasterInfo info)
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    return fleet.Host(info).GetFactsAsync(5000).GetAwaiter().GetResult().LogTail;
                }
                catch (SshException) when (attempt < 60)
                {
                    time.Advance(TimeSpan.FromMinutes(1));
                }
            }
        }

        static TimeSpan Took(CampaignMasterView m, StepKind k) =>
            m.Steps.Where(s => s.Kind == k && s.StartedAt is not null && s.EndedAt is not null).Select(s => s.EndedAt!.Value - s.StartedAt!.Value).FirstOrDefault();

        TimeSpan Unavoidable(CampaignMasterView m)
        {
            if (kind == CampaignKind.Reconfig)
            {
                return Took(m, StepKind.UpdateRepos) + Took(m, StepKind.CheckConfig) + Took(m, StepKind.Reconfig) + Took(m, StepKind.Verify);
            }

            var stop = m.Steps.FirstOrDefault(s => s.Kind is StepKind.Drain or StepKind.HardStop && s.StartedAt is not null);
            var drain = TimeSpan.Zero;
            if (stop is not null)
            {
                var info = fleet.Masters.Single(x => x.Name == m.Name);
                var log = LogOf(info);
                var events = TwistdLogParser.ParseAll(log, stop.EndedAt!.Value).Where(e => e.At >= stop.StartedAt!.Value.AddSeconds(-1) && e.At <= stop.EndedAt!.Value.AddSeconds(1)).ToList();
                var begun = events.FirstOrDefault(e => e.Kind == MasterLogEventKind.CleanShutdownInitiated);
                var ended = events.LastOrDefault(e => e.Kind == MasterLogEventKind.ShutDown);
                drain = begun is not null && ended is not null ? ended.At - begun.At : Took(m, stop.Kind);
            }

            return drain + Took(m, StepKind.Start) + Took(m, StepKind.Verify);
        }

        // A bucket's first pre-check is on its critical path: it runs after the approval (docs/campaigns.md, "Steps per
        // master": before any side effect) and nothing of that bucket can overlap it, as the run-ahead check of the next
        // master overlaps the current one's work. It counts only when the bucket's first wave succeeded, so that a
        // pre-check that ran ahead is never counted; with perBucket > 1, the shortest of that wave's.
        TimeSpan FirstPreCheck(IGrouping<string, CampaignMasterView> bucket)
        {
            var first = c.Masters.Where(m => m.Bucket == bucket.Key && m.Wave == 0).ToList();
            return first.Count > 0 && first.All(m => m.State == MasterRunState.Succeeded) ? first.Min(m => Took(m, StepKind.PreCheck)) : TimeSpan.Zero;
        }

        var buckets = c.Masters.Where(m => m.State == MasterRunState.Succeeded)
            .GroupBy(m => m.Bucket)
            .Select(g => (Bucket: g, Work: TimeSpan.FromTicks(g.Sum(m => Unavoidable(m).Ticks) / perBucket), Pre: FirstPreCheck(g)))
            .OrderByDescending(b => b.Work + b.Pre).ToList();
        if (buckets.Count == 0)
        {
            return new Bound(TimeSpan.Zero, TimeSpan.Zero);
        }

        // Where the time of the bucket that sets the bound went, step by step, and of the bucket that ended last if that
        // is another: on stderr, for whoever tunes the engine. Seconds after the approval, so gaps read off to a tenth.
        var approved = c.ApprovedAt ?? DateTimeOffset.MinValue;
        var last = buckets.MaxBy(b => b.Bucket.Max(m => m.EndedAt));
        foreach (var (b, why) in new[] { (buckets[0], "sets the bound"), (last, "ended last") }.DistinctBy(x => x.Item1.Bucket.Key))
        {
            Console.Error.WriteLine($"  bucket {b.Bucket.Key} ({why}): first pre-check {b.Pre.TotalSeconds:0.0} s + work {b.Work.TotalSeconds:0.0} s");
            foreach (var m in b.Bucket.OrderBy(m => m.StartedAt))
            {
                Console.Error.WriteLine($"    {m.Name}: unavoidable {Unavoidable(m).TotalSeconds:0.0} s; "
                    + string.Join(", ", m.Steps.Where(s => s.StartedAt is not null).Select(s => $"{s.Kind} {(s.StartedAt!.Value - approved).TotalSeconds:0.0}+{(s.EndedAt - s.StartedAt)?.TotalSeconds:0.0}")));
            }
        }

        return new Bound(buckets[0].Work + buckets[0].Pre, buckets.Max(b => b.Work));
    }

    /// <param name="Value">The lower bound: the bounding bucket's first pre-check plus its unavoidable work.</param>
    /// <param name="WithoutFirstPreCheck">The bound as it was before 2026-12-04 (docs/performance.md), for comparison.</param>
    private sealed record Bound(TimeSpan Value, TimeSpan WithoutFirstPreCheck);

    /// <summary>
    /// Moves the fake clock a step at a time until <paramref name="done"/>, and only while the engine is idle: no
    /// thread-pool work queued and no worker busy but this one. Otherwise real time spent in SQLite would pass as
    /// simulated time too, and the figures would show the simulator's speed rather than the engine's waits.
    /// </summary>
    private static async Task PumpAsync(FakeTimeProvider time, Func<Task<bool>> done, TimeSpan within)
    {
        var until = time.GetUtcNow() + within;
        for (var i = 0; ; i++)
        {
            // The check reads the database: every 4 s of simulated time is often enough and keeps the pump cheap.
            if (i % 16 == 0 && await done())
            {
                return;
            }

            if (time.GetUtcNow() > until)
            {
                throw new TimeoutException($"not done by {time.GetUtcNow():u}");
            }

            // A few extra real milliseconds while the engine is still busy, so that little of its real time (SQLite
            // writes) passes as simulated time; bounded, as a thread blocked elsewhere must not stop the clock.
            for (var y = 0; y < 10; y++)
            {
                await Task.Yield();
            }

            await Task.Delay(1);
            for (var spins = 0; spins < SpinLimit && !Idle(); spins++)
            {
                await Task.Delay(1);
            }

            time.Advance(Step);
        }
    }

    private static readonly int SpinLimit = int.Parse(Environment.GetEnvironmentVariable("BENCH_SPINS") ?? "5", CultureInfo.InvariantCulture);

    private static bool Idle()
    {
        ThreadPool.GetAvailableThreads(out var available, out _);
        ThreadPool.GetMaxThreads(out var max, out _);
        return ThreadPool.PendingWorkItemCount == 0 && max - available <= 1;
    }
}
