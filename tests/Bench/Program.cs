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
var failed = new List<string>();

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
        failed.Add(name);
        rows.Add(new Row(name, "FAILED", [], Note: e.GetType().Name + ": " + e.Message.ReplaceLineEndings(" ")));
        Console.Error.WriteLine($"{name} failed: {e}");
    }
}

if (Want("fleet refresh") || Want("detection"))
{
    await using var lab = await LabFleet.StartAsync(new LabOptions { Masters = masterCount, WorkersPerMaster = 1, SshOnWholeLoopback = true, StartTimeout = TimeSpan.FromMinutes(4) });
    await SectionAsync("fleet refresh", () => new FleetRefresh(lab, runs).RunAsync());
    await SectionAsync("detection", () => new Detection(lab, quick ? 1 : int.Parse(Arg("--trials", "20"), CultureInfo.InvariantCulture)).RunAsync());
}

// Simulated fleets on a fake clock: seconds of real time. --quick runs the base demo fleet of 28 once per kind.
foreach (var (n, perBucket, maxParallel) in quick ? [(28, 1, 8)] : new[] { (100, 1, 16), (1000, 4, 64) })
{
    foreach (var kind in new[] { Wrangler.Core.Campaigns.CampaignKind.GracefulRestart, Wrangler.Core.Campaigns.CampaignKind.Reconfig })
    {
        await SectionAsync("makespan", () => new Makespan(n, perBucket, maxParallel, quick ? TimeSpan.FromMinutes(2) : TimeSpan.FromMinutes(20)).RunAsync(kind));
        if (!quick && n == 100)
        {
            await SectionAsync("makespan", () => new Makespan(n, perBucket, maxParallel, quick ? TimeSpan.FromMinutes(2) : TimeSpan.FromMinutes(20)).RunAsync(kind, ahead: false));
        }
    }
}

// --quick proves the section works on a small fleet; the figures come from a full run.
await SectionAsync("scale", () => new Scale(int.Parse(Arg("--scale-masters", quick ? "200" : "1000"), CultureInfo.InvariantCulture), quick ? TimeSpan.FromSeconds(10) : TimeSpan.FromMinutes(2)).RunAsync());

Console.WriteLine();
Console.WriteLine($"| section | measurement | samples | median | p95 | ratio or note |");
Console.WriteLine("|---|---|---:|---:|---:|---:|");
foreach (var r in rows)
{
    Console.WriteLine($"| {r.Section} | {r.Name} | {r.Samples.Count} | {Stats.F(r.Median)} {r.Unit} | {Stats.F(r.P95)} {r.Unit} | {Ratio(r)} |");
}

// --quick asserts no figure, and a section that cannot run on this machine is printed, not fatal (the table says so).
return failed.Count > 0 && !quick ? 1 : 0;

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
