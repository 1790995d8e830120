using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Wrangler.Bench;

/// <summary>
/// Section 4: the real Wrangler process on a simulated fleet of N demo masters, polled every 15 s, for a while;
/// its resident memory and CPU read from /proc, once per GC mode so the choice in Dashboard.csproj is measured.
/// </summary>
internal sealed class Scale(int masters, TimeSpan duration)
{
    private const string Token = "bench-bootstrap-token-0123456789";

    public async Task<IReadOnlyList<Row>> RunAsync()
    {
        var rows = new List<Row>();
        foreach (var (gc, env) in new[] { ("workstation GC", "0"), ("server GC", "1") })
        {
            var (rss, cpu, polled) = await OnceAsync(env);
            rows.Add(new("scale", $"{masters} demo masters, 15 s poll, {gc}: RSS", rss, "MB", $"{polled} of {masters} masters polled"));
            rows.Add(new("scale", $"{masters} demo masters, 15 s poll, {gc}: CPU", cpu, "% of a core", $"over {duration.TotalSeconds:0} s after warm-up"));
        }

        return rows;
    }

    private async Task<(List<double> Rss, List<double> Cpu, int Polled)> OnceAsync(string serverGc)
    {
        var dir = Directory.CreateTempSubdirectory("wrb-scale-").FullName;
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = DashboardDir };
        foreach (var a in new[]
                 {
                     Path.Combine(DashboardDir, "Wrangler.Dashboard.dll"), "--urls", $"http://127.0.0.1:{port}", $"--Wrangler:Database={Path.Combine(dir, "wrangler.db")}",
                     $"--Wrangler:Auth:BootstrapToken={Token}", "--Wrangler:Demo:Seed=42", $"--Wrangler:Demo:Masters={masters}", "--Wrangler:PollInterval=00:00:15",
                     "--Logging:LogLevel:Default=Warning",
                 })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_gcServer"] = serverGc;
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var app = Process.Start(psi) ?? throw new InvalidOperationException("cannot start Wrangler");
        _ = app.StandardOutput.ReadToEndAsync();
        _ = app.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            var polled = 0;
            var warm = Stopwatch.StartNew();

            // Warm-up: until every master has been polled once (or a minute), so start-up is not counted.
            while (warm.Elapsed < TimeSpan.FromMinutes(1))
            {
                await Task.Delay(1000);
                if (app.HasExited)
                {
                    throw new InvalidOperationException($"Wrangler exited with {app.ExitCode} during the scale run");
                }

                try
                {
                    var list = await http.GetFromJsonAsync<JsonElement[]>("/api/v1/masters") ?? [];
                    polled = list.Count(m => m.TryGetProperty("lastPolledAt", out var p) && p.ValueKind == JsonValueKind.String);
                    // The demo's flaky masters may be unreachable right now: 99 % of the enabled ones is warm.
                    if (list.Length == masters && polled >= list.Count(m => m.GetProperty("enabled").GetBoolean()) * 0.99)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
            }

            var rss = new List<double>();
            var cpu = new List<double>();
            var (ticks, at) = (CpuTicks(app.Id), Stopwatch.GetTimestamp());
            var measured = Stopwatch.StartNew();
            while (measured.Elapsed < duration)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, duration.TotalSeconds)));
                var (t, now) = (CpuTicks(app.Id), Stopwatch.GetTimestamp());
                cpu.Add((t - ticks) / 100.0 / Stopwatch.GetElapsedTime(at, now).TotalSeconds * 100);
                (ticks, at) = (t, now);
                rss.Add(RssKb(app.Id) / 1024.0);
            }

            return (rss, cpu, polled);
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string DashboardDir
    {
        get
        {
            // Bench.csproj builds the Dashboard first, in the same configuration.
            var bench = new DirectoryInfo(AppContext.BaseDirectory);
            var config = bench.Parent!.Name;
            var root = bench.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dir = Path.Combine(root, "src", "Dashboard", "bin", config, bench.Name);
            return File.Exists(Path.Combine(dir, "Wrangler.Dashboard.dll")) ? dir : throw new InvalidOperationException($"no Wrangler.Dashboard.dll in {dir}");
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
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
