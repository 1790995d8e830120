using System.Globalization;
using Wrangler.Bench;
using Wrangler.Lab;

// The benchmark of docs/performance.md, not a test: one table, medians of `--runs` runs (default 7), peers in the
// same run on the same lab. `--quick` runs each measurement once, to prove the benchmark works; it asserts no figure.
// dotnet run -c Release --project tests/Bench -- [--quick] [--runs N] [--masters N] [--only SECTION]
var quick = args.Contains("--quick");
var runs = quick ? 1 : int.Parse(Arg("--runs", "7"), CultureInfo.InvariantCulture);
var masterCount = int.Parse(Arg("--masters", "5"), CultureInfo.InvariantCulture);

// `--only makespan` (or another section's name) runs that section alone.
var only = Arg("--only", "");
bool Want(string section) => only.Length == 0 || only == section;

Console.WriteLine($"# Wrangler benchmark{(quick ? " (--quick: one run each, figures not meaningful)" : "")}");
Console.WriteLine($"{DateTimeOffset.UtcNow:u}, {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, {Environment.MachineName}");

var rows = new List<Row>();
var failed = new List<(string Section, Exception Error)>();

// A section that fails is a row that says so; the others still run and print.
async Task SectionAsync(string name, Func<Task<IReadOnlyList<Row>>> run)
{
    if (!Want(name))
    {
        return;
    }

    try
    {
        var got = await run();
        rows.AddRange(got);
        foreach (var r in got)
        {
            Console.WriteLine($"{r.Section}: {r.Name}: median {Stats.F(r.Median)} {r.Unit} over {r.Samples.Count} {(r.Note is null ? "" : "(" + r.Note + ")")}");
        }
    }
    catch (Exception e)
    {
        failed.Add((name, e));
        rows.Add(new Row(name, "FAILED", [], Note: e.GetType().Name + ": " + e.Message.ReplaceLineEndings(" ")));
        Console.Error.WriteLine($"{name} failed: {e}");
    }
}

if (Want("fleet refresh") || Want("detection"))
{
    // A lab that fails to start fails both of its sections, named as any crash is, and the rest still run.
    LabFleet? lab = null;
    try
    {
        lab = await LabFleet.StartAsync(new LabOptions { Masters = masterCount, WorkersPerMaster = 1, SshOnWholeLoopback = true, StartTimeout = TimeSpan.FromMinutes(4) });
    }
    catch (Exception e)
    {
        foreach (var name in new[] { "fleet refresh", "detection" }.Where(Want))
        {
            await SectionAsync(name, () => Task.FromException<IReadOnlyList<Row>>(new InvalidOperationException("the lab did not start: " + e.Message, e)));
        }
    }

    if (lab is not null)
    {
        await using (lab)
        {
            await SectionAsync("fleet refresh", () => new FleetRefresh(lab, runs).RunAsync());
            await SectionAsync("detection", () => new Detection(lab, quick ? 1 : int.Parse(Arg("--trials", "20"), CultureInfo.InvariantCulture)).RunAsync());
        }
    }
}

// Simulated fleets on a fake clock. maxParallel is set high enough not to bind, as the lower bound is per bucket.
// --quick runs the base demo fleet of 28 once per kind, with 2 min drains.
// `--sim N` runs one simulated fleet of N masters (perBucket 1), with and without pre-checks run ahead.
var sims = Arg("--sim", "") is { Length: > 0 } sim ? [(int.Parse(sim, CultureInfo.InvariantCulture), 1, 64)]
    : quick ? [(28, 1, 64)] : new[] { (100, 1, 64), (1000, 4, 256) };
// `--kind reconfig` (or `graceful`) runs one kind alone, for whoever tunes that path of the engine.
var kinds = Arg("--kind", "") switch
{
    "reconfig" => new[] { Wrangler.Core.Campaigns.CampaignKind.Reconfig },
    "graceful" => [Wrangler.Core.Campaigns.CampaignKind.GracefulRestart],
    _ => [Wrangler.Core.Campaigns.CampaignKind.GracefulRestart, Wrangler.Core.Campaigns.CampaignKind.Reconfig],
};
foreach (var (n, perBucket, maxParallel) in sims)
{
    foreach (var kind in kinds)
    {
        await SectionAsync("makespan", () => new Makespan(n, perBucket, maxParallel, quick ? TimeSpan.FromMinutes(2) : TimeSpan.FromMinutes(20)).RunAsync(kind));
        if (!quick && (n == 100 || sims.Length == 1))
        {
            await SectionAsync("makespan", () => new Makespan(n, perBucket, maxParallel, quick ? TimeSpan.FromMinutes(2) : TimeSpan.FromMinutes(20)).RunAsync(kind, ahead: false));
        }
    }
}

// Said in the table, not left out: the lab variant (4-5 masters, 40 s held builds) is not built yet.
if (Want("makespan"))
{
    rows.Add(new Row("makespan", "lab (graceful restart and reconfig on real masters)", [], "s", "NOT MEASURED: the lab variant is not built yet (docs/performance.md)"));
}

// --quick proves the section works on a small fleet, in the GC mode Dashboard.csproj sets; the figures, and the
// comparison of GC modes, come from a full run.
await SectionAsync("scale", () => new Scale(int.Parse(Arg("--scale-masters", quick ? "200" : "1000"), CultureInfo.InvariantCulture), quick ? TimeSpan.FromSeconds(10) : TimeSpan.FromMinutes(2), allModes: !quick).RunAsync());

Console.WriteLine();
Console.WriteLine($"| section | measurement | samples | median | p95 | ratio or note |");
Console.WriteLine("|---|---|---:|---:|---:|---:|");
foreach (var r in rows)
{
    Console.WriteLine($"| {r.Section} | {r.Name} | {r.Samples.Count} | {Stats.F(r.Median)} {r.Unit} | {Stats.F(r.P95)} {r.Unit} | {Ratio(r)} |");
}

// --quick asserts no figure, but a section that crashes fails the run, quick or not: .ci/run runs --quick to prove
// that every section still works. The table above keeps the sections that did; this names the ones that did not.
foreach (var (section, e) in failed)
{
    Console.WriteLine($"FAILED: {section}: {e.GetType().FullName}: {e.Message.ReplaceLineEndings(" ")}");
}

return failed.Count > 0 ? 1 : 0;

// Each peer against Wrangler's row of the same temperature: cold against cold, warm against warm.
string Ratio(Row r)
{
    if (r.Section != "fleet refresh" || r.Name.StartsWith("Wrangler", StringComparison.Ordinal))
    {
        return r.Note ?? "";
    }

    var ours = rows.FirstOrDefault(x => x.Section == r.Section && x.Name.StartsWith("Wrangler, " + (r.Name.Contains("warm", StringComparison.Ordinal) ? "warm" : "cold"), StringComparison.Ordinal));
    return ours is null ? "" : (r.Median / ours.Median).ToString("0.0", CultureInfo.InvariantCulture) + "× Wrangler's time";
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
