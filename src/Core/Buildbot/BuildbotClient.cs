using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Wrangler.Core.Buildbot;

/// <summary>
/// Buildbot 3.7 REST client for one master. Quirks it absorbs (BUILDBOT.md §3): one item and many share the
/// envelope <c>{"&lt;type&gt;s": [...], "meta": {...}}</c>; an unknown worker in a control call is a 500, not a 404;
/// control sent to a master the worker is not connected to is accepted and silently ignored.
/// </summary>
public sealed class BuildbotClient : IBuildbotApi
{
    private readonly HttpClient http;
    private readonly Uri baseUrl;
    private readonly Func<BuildbotMaster, Uri?>? locateMaster;

    /// <param name="http">Its timeout bounds every call.</param>
    /// <param name="apiUrl">The master's <c>.../api/v2</c>.</param>
    /// <param name="locateMaster">
    /// Maps another master (by its Buildbot name, <c>host:basedir</c>) to its API URL, for routing worker control in
    /// a fleet whose masters share a database; null when each master has its own.
    /// </param>
    public BuildbotClient(HttpClient http, Uri apiUrl, Func<BuildbotMaster, Uri?>? locateMaster = null)
    {
        this.http = http;
        baseUrl = WithSlash(apiUrl);
        this.locateMaster = locateMaster;
    }

    public Uri ApiUrl => baseUrl;

    public async Task<IReadOnlyList<BuildbotMaster>> GetMastersAsync(CancellationToken ct = default) =>
        await GetListAsync(baseUrl, "masters", "masters", e => new BuildbotMaster(
            Int(e, "masterid"), Str(e, "name") ?? "", e.TryGetProperty("active", out var a) && a.ValueKind == JsonValueKind.True,
            Time(e, "last_active")), ct).ConfigureAwait(false);

    public Task<IReadOnlyList<BuildbotWorker>> GetWorkersAsync(CancellationToken ct = default) =>
        GetWorkersAsync(baseUrl, "workers", ct);

    public async Task<IReadOnlyList<BuildbotBuilder>> GetBuildersAsync(CancellationToken ct = default) =>
        await GetListAsync(baseUrl, "builders", "builders", e => new BuildbotBuilder(
            Int(e, "builderid"), Str(e, "name") ?? "",
            Array(e, "masterids").Select(x => x.GetInt32()).ToList(),
            Array(e, "tags").Select(x => x.GetString() ?? "").ToList()), ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<RunningBuild>> GetRunningBuildsAsync(CancellationToken ct = default)
    {
        var buildsTask = GetListAsync(baseUrl, "builds?complete=false", "builds", e => e.Clone(), ct);
        var buildersTask = GetBuildersAsync(ct);
        var workersTask = GetWorkersAsync(ct);
        await Task.WhenAll(buildsTask, buildersTask, workersTask).ConfigureAwait(false);

        var builders = buildersTask.Result.ToDictionary(b => b.BuilderId, b => b.Name);
        var workers = workersTask.Result.ToDictionary(w => w.WorkerId, w => w.Name);
        return buildsTask.Result.Select(e =>
        {
            var builderId = Int(e, "builderid");
            var workerId = OptInt(e, "workerid");
            return new RunningBuild(
                Int(e, "buildid"), builderId, builders.GetValueOrDefault(builderId, $"builder {builderId}"), Int(e, "number"),
                Time(e, "started_at"), workerId, workerId is int w ? workers.GetValueOrDefault(w) : null,
                Int(e, "masterid"), Str(e, "state_string"));
        }).ToList();
    }

    public async Task<IReadOnlyList<PendingBuildRequest>> GetPendingRequestsAsync(CancellationToken ct = default)
    {
        var requestsTask = GetListAsync(baseUrl, "buildrequests?complete=false", "buildrequests", e => e.Clone(), ct);
        var buildersTask = GetBuildersAsync(ct);
        await Task.WhenAll(requestsTask, buildersTask).ConfigureAwait(false);
        var builders = buildersTask.Result.ToDictionary(b => b.BuilderId, b => b.Name);
        return requestsTask.Result.Select(e =>
        {
            var builderId = Int(e, "builderid");
            return new PendingBuildRequest(
                Int(e, "buildrequestid"), builderId, builders.GetValueOrDefault(builderId),
                e.TryGetProperty("claimed", out var c) && c.ValueKind == JsonValueKind.True,
                OptInt(e, "claimed_by_masterid"), Time(e, "submitted_at"));
        }).ToList();
    }

    public async Task ControlWorkerAsync(string workerName, WorkerAction action, string reason, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerName);
        var found = await GetWorkersAsync(baseUrl, "workers?name=" + Uri.EscapeDataString(workerName), ct).ConfigureAwait(false);
        var worker = found.FirstOrDefault(w => w.Name == workerName)
            ?? throw new BuildbotApiException(BuildbotErrorKind.UnknownWorker, $"worker '{workerName}' is not known to the master at {baseUrl}");

        var target = await RouteAsync(worker, ct).ConfigureAwait(false);
        var method = action switch
        {
            WorkerAction.Pause => "pause",
            WorkerAction.Unpause => "unpause",
            WorkerAction.GracefulStop => "stop",
            WorkerAction.Kill => "kill",
            _ => throw new ArgumentOutOfRangeException(nameof(action)),
        };
        var body = JsonSerializer.Serialize(new { jsonrpc = "2.0", method, id = 1, @params = new { reason } });
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var url = new Uri(target, "workers/" + worker.WorkerId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await SendAsync(() => http.PostAsync(url, content, ct), url).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode && !text.Contains("\"error\"", StringComparison.Ordinal))
        {
            return;
        }

        var message = ErrorMessage(text);
        if (message.Contains("has no attribute 'exceptions'", StringComparison.Ordinal))
        {
            // Buildbot 3.7's answer to a worker it does not know (a bug: it means "not found").
            throw new BuildbotApiException(BuildbotErrorKind.UnknownWorker, $"worker '{workerName}' is not known to the master at {target}", (int)response.StatusCode);
        }

        throw new BuildbotApiException(BuildbotErrorKind.ControlRefused,
            $"{method} of worker '{workerName}' refused by {target}: {(int)response.StatusCode} {message}", (int)response.StatusCode);
    }

    // Control only reaches the master the worker is attached to; anywhere else it is a silent no-op.
    private async Task<Uri> RouteAsync(BuildbotWorker worker, CancellationToken ct)
    {
        var targetId = worker.ConnectedTo.Count > 0 ? worker.ConnectedTo[0] : (int?)null;
        if (targetId is null)
        {
            return baseUrl;
        }

        var masters = await GetMastersAsync(ct).ConfigureAwait(false);
        if (masters.Count <= 1)
        {
            return baseUrl;
        }

        var master = masters.FirstOrDefault(m => m.MasterId == targetId);
        var located = master is null ? null : locateMaster?.Invoke(master);
        return located is not null
            ? WithSlash(located)
            : throw new BuildbotApiException(BuildbotErrorKind.WrongMaster,
                $"worker '{worker.Name}' is connected to master {master?.Name ?? "#" + targetId}, which Wrangler cannot reach; control sent elsewhere would be ignored");
    }

    private Task<IReadOnlyList<BuildbotWorker>> GetWorkersAsync(Uri root, string path, CancellationToken ct) =>
        GetListAsync(root, path, "workers", ParseWorker, ct);

    /// <summary>A worker as REST and the <c>workers/*/*</c> events spell it.</summary>
    public static BuildbotWorker ParseWorker(JsonElement e) => new(
        Int(e, "workerid"), Str(e, "name") ?? "",
        Array(e, "connected_to").Select(c => Int(c, "masterid")).ToList(),
        Array(e, "configured_on").Select(c => new WorkerBuilderConfig(Int(c, "builderid"), Int(c, "masterid"))).ToList(),
        e.TryGetProperty("paused", out var p) && p.ValueKind == JsonValueKind.True,
        e.TryGetProperty("graceful", out var g) && g.ValueKind == JsonValueKind.True)
    {
        Version = e.TryGetProperty("workerinfo", out var i) && i.ValueKind == JsonValueKind.Object ? Str(i, "version")?.Trim() : null,
        Host = e.TryGetProperty("workerinfo", out var h) && h.ValueKind == JsonValueKind.Object ? Str(h, "host")?.Trim() : null,
    };

    /// <summary>A build as REST and the <c>builds/*/*</c> events spell it.</summary>
    public static BuildbotBuild ParseBuild(JsonElement e) => new(
        Int(e, "buildid"), Int(e, "builderid"), Int(e, "number"), OptInt(e, "workerid"), Int(e, "masterid"),
        Time(e, "started_at"), Time(e, "complete_at"),
        e.TryGetProperty("complete", out var c) && c.ValueKind == JsonValueKind.True,
        OptInt(e, "results"), Str(e, "state_string"));

    public async Task<IReadOnlyList<BuildbotBuild>> GetBuildsSinceAsync(DateTimeOffset since, CancellationToken ct = default)
    {
        var recent = GetListAsync(baseUrl, "builds?started_at__ge=" + since.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)
            + "&order=-buildid&limit=2000", "builds", ParseBuild, ct);
        var running = GetListAsync(baseUrl, "builds?complete=false", "builds", ParseBuild, ct);
        await Task.WhenAll(recent, running).ConfigureAwait(false);
        return [.. running.Result.Concat(recent.Result).DistinctBy(b => b.BuildId)];
    }

    /// <summary>
    /// Reads <c>/sse/listen/{path}</c> (BUILDBOT.md §10): <c>event: event</c> blocks whose data is
    /// <c>{"key": [...], "message": {...}}</c>. Ends when the master closes the stream.
    /// </summary>
    public async IAsyncEnumerable<BuildbotEvent> ListenAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var root = baseUrl.AbsoluteUri;
        var i = root.LastIndexOf("api/v2", StringComparison.Ordinal);
        var url = new Uri((i >= 0 ? root[..i] : root) + "sse/listen/" + path);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        // With ResponseHeadersRead the client's timeout bounds only the wait for headers, not the open stream.
        using var response = await SendAsync(() => http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct), url).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new BuildbotApiException(BuildbotErrorKind.Http, $"GET {url} answered {(int)response.StatusCode}", (int)response.StatusCode);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync(ct).ConfigureAwait(false))
        {
            if (item.EventType == "handshake")
            {
                // The subscription is live from here on.
                yield return new BuildbotEvent(["handshake"], default);
                continue;
            }

            if (item.EventType != "event")
            {
                continue;
            }

            BuildbotEvent? parsed = null;
            try
            {
                using var doc = JsonDocument.Parse(item.Data);
                var key = Array(doc.RootElement, "key").Select(k => k.GetString() ?? "").ToList();
                if (doc.RootElement.TryGetProperty("message", out var message))
                {
                    parsed = new BuildbotEvent(key, message.Clone());
                }
            }
            catch (JsonException)
            {
                // A malformed event is skipped; the periodic REST read puts the state right.
            }

            if (parsed is not null)
            {
                yield return parsed;
            }
        }
    }

    private async Task<IReadOnlyList<T>> GetListAsync<T>(Uri root, string path, string key, Func<JsonElement, T> map, CancellationToken ct)
    {
        var url = new Uri(root, path);
        using var response = await SendAsync(() => http.GetAsync(url, ct), url).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new BuildbotApiException(BuildbotErrorKind.Http, $"GET {url} answered {(int)response.StatusCode}: {ErrorMessage(text)}", (int)response.StatusCode);
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            if (!doc.RootElement.TryGetProperty(key, out var items) || items.ValueKind != JsonValueKind.Array)
            {
                throw new BuildbotApiException(BuildbotErrorKind.InvalidResponse, $"GET {url}: no \"{key}\" list in the answer");
            }

            return items.EnumerateArray().Select(map).ToList();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new BuildbotApiException(BuildbotErrorKind.InvalidResponse, $"GET {url}: unexpected answer ({ex.Message})", inner: ex);
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send, Uri url)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            var why = ex.InnerException is SocketException se ? se.SocketErrorCode.ToString() : ex.Message;
            throw new BuildbotApiException(BuildbotErrorKind.Unreachable, $"{url.GetLeftPart(UriPartial.Authority)} did not answer: {why}", inner: ex);
        }
        catch (TaskCanceledException ex) when (ex.InnerException is TimeoutException)
        {
            throw new BuildbotApiException(BuildbotErrorKind.Unreachable, $"{url.GetLeftPart(UriPartial.Authority)} timed out", inner: ex);
        }
    }

    private static string ErrorMessage(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var error = doc.RootElement.TryGetProperty("error", out var e) ? e : doc.RootElement;
            if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m))
            {
                return m.ToString();
            }

            return error.ValueKind == JsonValueKind.String ? error.GetString()! : error.GetRawText();
        }
        catch (JsonException)
        {
            return text.Length > 300 ? text[..300] : text;
        }
    }

    private static Uri WithSlash(Uri u) => u.AbsoluteUri.EndsWith('/') ? u : new Uri(u.AbsoluteUri + "/");

    private static int Int(JsonElement e, string name) => e.GetProperty(name).GetInt32();

    private static int? OptInt(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(v.GetDouble() * 1000))
            : null;
}
