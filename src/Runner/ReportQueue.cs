using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Wrangler.Runner;

/// <summary>One turn of the cycle as Wrangler's <c>POST /api/v1/workers/{name}/cycle</c> takes it.</summary>
public sealed record CycleReport(string Phase, string? Detail, DateTimeOffset At);

public interface IReports
{
    void Enqueue(string phase, string? detail);
}

/// <summary>
/// Reports go to disk first (one file each, <c>{sequence}.json</c>, written then renamed so a crash leaves no half file)
/// and a sender posts them oldest first, deleting each once Wrangler took it. Enqueueing never waits on the network,
/// so a dead Wrangler never stalls the cycle; it gets the backlog, in order, when it is back.
/// </summary>
public sealed class ReportQueue : IReports, IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string dir;
    private readonly TimeProvider time;
    private readonly Func<CycleReport, CancellationToken, Task<HttpStatusCode>> send;
    private readonly SemaphoreSlim wake = new(0);
    private readonly Lock gate = new();
    private readonly TimeSpan maxRetry;
    private long next;
    private volatile bool draining;

    public ReportQueue(string dir, TimeProvider time, Func<CycleReport, CancellationToken, Task<HttpStatusCode>> send, TimeSpan? maxRetry = null)
    {
        this.dir = dir;
        this.time = time;
        this.send = send;
        this.maxRetry = maxRetry ?? TimeSpan.FromMinutes(1);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.EnumerateFiles(dir, "*.tmp"))
        {
            File.Delete(f);
        }

        next = Pending().Select(Sequence).DefaultIfEmpty(0).Max() + 1;
    }

    /// <summary>Something to log when a report could not be sent or was refused.</summary>
    public event Action<string>? Problem;

    public void Enqueue(string phase, string? detail)
    {
        var report = new CycleReport(phase, detail is { Length: > 4000 } ? detail[^4000..] : detail, time.GetUtcNow());
        lock (gate)
        {
            var seq = next++;
            var file = Path.Combine(dir, seq.ToString("D12", CultureInfo.InvariantCulture) + ".json");
            File.WriteAllText(file + ".tmp", JsonSerializer.Serialize(report, Json));
            File.Move(file + ".tmp", file);
        }

        wake.Release();
    }

    /// <summary>Queued files, oldest first.</summary>
    public IReadOnlyList<string> Pending() =>
        [.. Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal)];

    /// <summary>Sends until cancelled: each report in order, retrying the head (doubling the wait up to a minute) until it is taken.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var wait = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            var head = Pending().FirstOrDefault();
            if (head is null && draining)
            {
                return;
            }

            if (head is null)
            {
                try
                {
                    await wake.WaitAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (await TrySendAsync(head, ct).ConfigureAwait(false))
            {
                wait = TimeSpan.FromSeconds(1);
                continue;
            }

            if (draining)
            {
                return;
            }

            try
            {
                await Task.Delay(wait, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            wait = wait * 2 > maxRetry ? maxRetry : wait * 2;
        }
    }

    /// <summary>
    /// On the way out: <see cref="RunAsync"/> ends once the queue is empty or a send fails, so the last reports go
    /// through the one sender, each once. What is left stays queued for the next start.
    /// </summary>
    public void Drain()
    {
        draining = true;
        wake.Release();
    }

    /// <summary>Sends what is queued now, up to a time limit (on the way out, so the last reports are not left behind needlessly).</summary>
    public async Task FlushAsync(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit, time);
        foreach (var f in Pending())
        {
            if (cts.IsCancellationRequested || !await TrySendAsync(f, cts.Token).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task<bool> TrySendAsync(string file, CancellationToken ct)
    {
        CycleReport? report;
        try
        {
            report = JsonSerializer.Deserialize<CycleReport>(File.ReadAllText(file), Json);
        }
        catch (JsonException)
        {
            report = null;
        }
        catch (FileNotFoundException)
        {
            return true;
        }

        if (report is null)
        {
            Problem?.Invoke($"dropping unreadable report {file}");
            File.Delete(file);
            return true;
        }

        HttpStatusCode status;
        try
        {
            status = await send(report, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Also when the runner is stopping: the report stays queued and the sender ends quietly, not with a crash.
            if (!ct.IsCancellationRequested)
            {
                Problem?.Invoke($"Wrangler unreachable ({ex.Message}); {Pending().Count} report(s) queued");
            }

            return false;
        }

        var code = (int)status;
        if (code is >= 200 and < 300)
        {
            File.Delete(file);
            return true;
        }

        // A report Wrangler refuses as malformed will never be taken; anything else (a wrong token, 5xx) may be fixed.
        if (code is 400 or 413 or 422)
        {
            Problem?.Invoke($"Wrangler refused report {Path.GetFileName(file)} ({code}); dropped");
            File.Delete(file);
            return true;
        }

        Problem?.Invoke($"Wrangler answered {code} to a cycle report; {Pending().Count} report(s) queued");
        return false;
    }

    private static long Sequence(string file) =>
        long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    public ValueTask DisposeAsync()
    {
        wake.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Posts one report with the reporter token.</summary>
public sealed class WranglerClient(HttpClient http, RunnerConfig config)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<HttpStatusCode> SendAsync(CycleReport report, CancellationToken ct)
    {
        var root = new Uri(config.WranglerUrl.AbsoluteUri.TrimEnd('/') + "/");
        var uri = new Uri(root, $"api/v1/workers/{Uri.EscapeDataString(config.WorkerName)}/cycle");
        using var req = new HttpRequestMessage(HttpMethod.Post, uri) { Content = JsonContent.Create(report, options: Json) };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", config.WranglerToken);
        using var resp = await http.SendAsync(req, ct).ConfigureAwait(false);
        return resp.StatusCode;
    }
}
