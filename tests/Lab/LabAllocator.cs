using System.Net;
using System.Text;
using System.Text.Json;

namespace Wrangler.Lab;

/// <summary>One request the stand-in received, as it arrived.</summary>
public sealed record LabHttpRequest(DateTimeOffset At, string Method, string Path, string Body);

/// <summary>One accepted <c>PUT /masters/{name}</c>.</summary>
public sealed record LabAllocatorChange(DateTimeOffset At, string Master, bool Enabled, string Notes);

/// <summary>
/// A small in-process HTTP allocator stand-in (HttpListener on 127.0.0.1, no packages): accepts
/// <c>PUT /masters/{name}</c> with <c>{"enabled":bool,"notes":"…"}</c>, records every request and each master's
/// current state, and can be told to fail or to be slow. <c>POST /webhook</c> records notification bodies, so the same
/// server stands in for a chat webhook.
/// </summary>
public sealed class LabAllocator : IAsyncDisposable
{
    private readonly HttpListener listener;
    private readonly object gate = new();
    private readonly List<LabHttpRequest> requests = [];
    private readonly List<LabAllocatorChange> changes = [];
    private readonly Dictionary<string, bool> states = new(StringComparer.Ordinal);
    private readonly Task loop;
    private (int Status, string Body)? failure;
    private TimeSpan delay;

    private LabAllocator(HttpListener listener, int port)
    {
        this.listener = listener;
        Url = $"http://127.0.0.1:{port}";
        loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Base URL to configure as <c>Wrangler:Allocator:Url</c>.</summary>
    public string Url { get; }

    /// <summary>URL to configure as <c>Wrangler:Notifications:WebhookUrl</c>.</summary>
    public string WebhookUrl => Url + "/webhook";

    /// <summary>Every request, in arrival order, including refused ones.</summary>
    public IReadOnlyList<LabHttpRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return requests.ToList();
            }
        }
    }

    /// <summary>Accepted enable/disable changes, in order.</summary>
    public IReadOnlyList<LabAllocatorChange> Changes
    {
        get
        {
            lock (gate)
            {
                return changes.ToList();
            }
        }
    }

    /// <summary>Bodies of <c>POST /webhook</c>, in order.</summary>
    public IReadOnlyList<string> Webhooks => Requests.Where(r => r.Method == "POST" && r.Path == "/webhook").Select(r => r.Body).ToList();

    /// <summary>Current state per master that has been changed at least once.</summary>
    public IReadOnlyDictionary<string, bool> States
    {
        get
        {
            lock (gate)
            {
                return new Dictionary<string, bool>(states);
            }
        }
    }

    /// <summary>While set, every request is answered with this status and body (and not applied).</summary>
    public (int Status, string Body)? Failure
    {
        get
        {
            lock (gate)
            {
                return failure;
            }
        }

        set
        {
            lock (gate)
            {
                failure = value;
            }
        }
    }

    /// <summary>Waited before answering, to exercise client timeouts.</summary>
    public TimeSpan Delay
    {
        get
        {
            lock (gate)
            {
                return delay;
            }
        }

        set
        {
            lock (gate)
            {
                delay = value;
            }
        }
    }

    public static Task<LabAllocator> StartAsync(CancellationToken ct = default)
    {
        // A port probed free can be taken before HttpListener binds it; try a few.
        for (var attempt = 0; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            var port = LoopbackPorts.Next();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return Task.FromResult(new LabAllocator(listener, port));
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    /// <summary>True if the master is currently enabled; null if nobody has changed it yet.</summary>
    public bool? IsEnabled(string master)
    {
        lock (gate)
        {
            return states.TryGetValue(master, out var enabled) ? enabled : null;
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> with the requests seen.</summary>
    public async Task WaitForAsync(Func<LabAllocator, bool> condition, TimeSpan timeout, CancellationToken ct = default)
    {
        var end = TimeProvider.System.GetTimestamp();
        while (!condition(this))
        {
            if (TimeProvider.System.GetElapsedTime(end) > timeout)
            {
                throw new TimeoutException($"allocator condition not met within {timeout}; requests: {string.Join("; ", Requests.Select(r => $"{r.Method} {r.Path} {r.Body}"))}");
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!listener.IsListening)
        {
            return;
        }

        listener.Stop();
        listener.Close();
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopping the listener ends the accept loop this way.
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var req = context.Request;
        string body;
        using (var reader = new StreamReader(req.InputStream, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync().ConfigureAwait(false);
        }

        var path = req.Url?.AbsolutePath ?? "/";
        var at = TimeProvider.System.GetUtcNow();
        (int Status, string Body)? fail;
        TimeSpan wait;
        lock (gate)
        {
            requests.Add(new LabHttpRequest(at, req.HttpMethod, path, body));
            fail = failure;
            wait = delay;
        }

        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait).ConfigureAwait(false);
        }

        var (status, answer) = fail ?? Apply(req.HttpMethod, path, body, at);
        try
        {
            var bytes = Encoding.UTF8.GetBytes(answer);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The client gave up (a timeout test); nothing to answer.
        }
    }

    private (int, string) Apply(string method, string path, string body, DateTimeOffset at)
    {
        if (method == "POST" && path == "/webhook")
        {
            return (200, "{}");
        }

        const string prefix = "/masters/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || path.Length == prefix.Length)
        {
            return (404, Error($"no such resource {path}"));
        }

        if (method != "PUT")
        {
            return (405, Error($"{method} not allowed; use PUT"));
        }

        var name = Uri.UnescapeDataString(path[prefix.Length..]);
        bool enabled;
        string notes;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (!root.TryGetProperty("enabled", out var e) || e.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return (400, Error("\"enabled\" (true or false) is required"));
            }

            enabled = e.GetBoolean();
            notes = root.TryGetProperty("notes", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        }
        catch (JsonException ex)
        {
            return (400, Error("body is not JSON: " + ex.Message));
        }

        lock (gate)
        {
            changes.Add(new LabAllocatorChange(at, name, enabled, notes));
            states[name] = enabled;
        }

        return (200, JsonSerializer.Serialize(new { name, enabled, notes }));
    }

    private static string Error(string message) => JsonSerializer.Serialize(new { error = message });
}
