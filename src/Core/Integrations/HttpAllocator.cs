using System.Net.Http.Json;
using System.Text.Json;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Integrations;

/// <summary>
/// <c>PUT {Url}/masters/{name}</c> with <c>{"enabled":false|true,"notes":"…"}</c>. Any non-2xx answer is a
/// failure: a campaign must not take a master down that the allocator still sends workers to.
/// </summary>
public sealed class HttpAllocator : IAllocator
{
    public const string HttpClientName = "Wrangler.Allocator";

    private const int MaxBodyInMessage = 500;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient http;
    private readonly Uri baseUrl;
    private readonly TimeSpan timeout;
    private readonly TimeProvider time;

    public HttpAllocator(HttpClient http, AllocatorOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IntegrationsServiceCollectionExtensions.IsHttpUrl(options.Url))
        {
            throw new ArgumentException($"{AllocatorOptions.SectionName}:Url must be an absolute http(s) URL, not '{options.Url}'", nameof(options));
        }

        this.http = http;
        this.time = time;
        timeout = options.Timeout;
        baseUrl = new Uri(options.Url!.TrimEnd('/') + "/");
    }

    public bool IsConfigured => true;

    public Uri BaseUrl => baseUrl;

    public Task DisableAsync(MasterInfo master, string notes, CancellationToken ct) => PutAsync(master, enabled: false, notes, ct);

    public Task EnableAsync(MasterInfo master, string notes, CancellationToken ct) => PutAsync(master, enabled: true, notes, ct);

    private async Task PutAsync(MasterInfo master, bool enabled, string notes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(master);
        var url = new Uri(baseUrl, "masters/" + Uri.EscapeDataString(master.Name));
        // Errors end up in step details, logs and webhooks: never with the URL's credentials.
        var shownUrl = SafeUrl.Show(url);
        var verb = enabled ? "enable" : "disable";

        // HttpClient's own Timeout is left infinite so the deadline follows the injected clock and the error can say which call it was.
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            using var content = JsonContent.Create(new AllocatorChange(enabled, notes ?? ""), options: Json);
            using var response = await http.PutAsync(url, content, linked.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            var body = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
            var shown = body.Length > MaxBodyInMessage ? body[..MaxBodyInMessage] + "…" : body;
            throw new IntegrationException("allocator",
                $"allocator refused to {verb} {master.Name}: PUT {shownUrl} answered {(int)response.StatusCode} {response.ReasonPhrase}: {shown.Trim()}",
                (int)response.StatusCode, body);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new IntegrationException("allocator", $"allocator did not answer within {timeout.TotalSeconds:0.#} s to {verb} {master.Name} (PUT {shownUrl})");
        }
        catch (HttpRequestException e)
        {
            throw new IntegrationException("allocator", $"allocator could not be reached to {verb} {master.Name} (PUT {shownUrl}): {e.Message}", inner: e);
        }
    }

    private sealed record AllocatorChange(bool Enabled, string Notes);
}
