using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Wrangler.Bench;

/// <summary>The real Wrangler, built beside the benchmark (Bench.csproj), as its own process on a free port.</summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private const string Token = "bench-bootstrap-token-0123456789";
    private readonly Process process;
    private readonly string dir;

    private AppProcess(Process process, string dir, HttpClient http)
    {
        this.process = process;
        this.dir = dir;
        Http = http;
    }

    /// <summary>A client that signs every request with the bootstrap (admin) token.</summary>
    public HttpClient Http { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public static AppProcess Start(IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var dir = Directory.CreateTempSubdirectory("wrb-app-").FullName;
        var port = Wrangler.Lab.LoopbackPorts.Next();
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = DashboardDir };
        foreach (var a in (string[])
                 [
                     Path.Combine(DashboardDir, "Wrangler.Dashboard.dll"), "--urls", $"http://127.0.0.1:{port}", $"--Wrangler:Database={Path.Combine(dir, "wrangler.db")}",
                     $"--Wrangler:Auth:BootstrapToken={Token}", "--Logging:LogLevel:Default=Warning", .. args,
                 ])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start Wrangler");
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return new AppProcess(process, dir, http);
    }

    /// <summary>Polls <paramref name="path"/> every 20 ms until <paramref name="condition"/> holds; the time it took, in ms.</summary>
    public async Task<double> UntilAsync(string path, Func<JsonElement, bool> condition, string what, TimeSpan? within = null)
    {
        var sw = Stopwatch.StartNew();
        var limit = within ?? TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var resp = await Http.GetAsync(path);
                if (resp.IsSuccessStatusCode)
                {
                    using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
                    if (condition(doc.RootElement))
                    {
                        return sw.Elapsed.TotalMilliseconds;
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or too busy to answer within the client's timeout (a first poll of many masters).
            }

            if (sw.Elapsed > limit || process.HasExited)
            {
                throw new TimeoutException($"{what}: not seen at {path} within {limit}{(process.HasExited ? $" (Wrangler exited {process.ExitCode})" : "")}");
            }

            await Task.Delay(20);
        }
    }

    private static string DashboardDir
    {
        get
        {
            var bench = new DirectoryInfo(AppContext.BaseDirectory);
            var config = bench.Parent!.Name;
            var root = bench.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var dir = Path.Combine(root, "src", "Dashboard", "bin", config, bench.Name);
            return File.Exists(Path.Combine(dir, "Wrangler.Dashboard.dll")) ? dir : throw new InvalidOperationException($"no Wrangler.Dashboard.dll in {dir}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }
}
