using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Wrangler.Bench;

/// <summary>
/// Section 4: the real Wrangler process on a simulated fleet of N demo masters, polled every 15 s, for a while;
/// its resident memory and CPU read from /proc, once per GC mode so the choice in Dashboard.csproj is measured.
/// </summary>
internal sealed class Scale(int masters, TimeSpan duration, bool allModes)
{
    public async Task<IReadOnlyList<Row>> RunAsync()
    {
        var rows = new List<Row>();
        var modes = new (string, Dictionary<string, string>)[]
        {
            ("workstation GC", new() { ["DOTNET_gcServer"] = "0" }),
            ("workstation GC, ConserveMemory=7", new() { ["DOTNET_gcServer"] = "0", ["DOTNET_GCConserveMemory"] = "7" }),
            ("server GC", new() { ["DOTNET_gcServer"] = "1" }),
        };
        foreach (var (gc, env) in allModes ? modes : modes[..1])
        {
            var (rss, cpu, polled, warm) = await OnceAsync(env);
            var note = warm ? $"{polled} of {masters} masters polled" : $"NOT WARM: {polled} of {masters} polled after 3 min";
            rows.Add(new("scale", $"{masters} demo masters, 15 s poll, {gc}: RSS", rss, "MB", note));
            rows.Add(new("scale", $"{masters} demo masters, 15 s poll, {gc}: CPU", cpu, "% of a core", $"over {duration.TotalSeconds:0} s after warm-up"));
        }

        return rows;
    }

    private async Task<(List<double> Rss, List<double> Cpu, int Polled, bool Warm)> OnceAsync(Dictionary<string, string> gcEnv)
    {
        await using var app = AppProcess.Start(
            ["--Wrangler:Demo:Seed=42", $"--Wrangler:Demo:Masters={masters}", "--Wrangler:PollInterval=00:00:15"],
            gcEnv);
        var polled = 0;
        var warm = true;

        // Warm-up: until every master has been polled once, so start-up is not counted. The demo's flaky masters may
        // be unreachable right now: 99 % of the enabled ones is warm. A Wrangler that never gets there is measured
        // anyway, and the row says how far it got.
        try
        {
            await app.UntilAsync("/api/v1/masters", list =>
            {
                polled = list.EnumerateArray().Count(m => m.TryGetProperty("lastPolledAt", out var p) && p.ValueKind == JsonValueKind.String);
                return list.GetArrayLength() == masters && polled >= list.EnumerateArray().Count(m => m.GetProperty("enabled").GetBoolean()) * 0.99;
            }, "every demo master polled once", TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException)
        {
            warm = false;
        }

        var rss = new List<double>();
        var cpu = new List<double>();
        var (ticks, at) = (CpuTicks(app.Pid), Stopwatch.GetTimestamp());
        var measured = Stopwatch.StartNew();
        while (measured.Elapsed < duration)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, duration.TotalSeconds)));
            var (t, now) = (CpuTicks(app.Pid), Stopwatch.GetTimestamp());
            cpu.Add((t - ticks) / 100.0 / Stopwatch.GetElapsedTime(at, now).TotalSeconds * 100);
            (ticks, at) = (t, now);
            rss.Add(RssKb(app.Pid) / 1024.0);
        }

        return (rss, cpu, polled, warm);
    }

    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
    }

    private static long RssKb(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).FirstOrDefault();
}
