using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Wrangler.Core.Integrations;

/// <summary>POSTs each <see cref="CampaignNotification"/> as JSON; failures are logged and swallowed.</summary>
public sealed class WebhookNotifier : INotifier
{
    public const string HttpClientName = "Wrangler.Notifications";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient http;
    private readonly Uri url;
    private readonly TimeSpan timeout;
    private readonly TimeProvider time;
    private readonly ILogger<WebhookNotifier>? logger;
    private int failures;

    public WebhookNotifier(HttpClient http, NotificationOptions options, TimeProvider time, ILogger<WebhookNotifier>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IntegrationsServiceCollectionExtensions.IsHttpUrl(options.WebhookUrl))
        {
            throw new ArgumentException($"{NotificationOptions.SectionName}:WebhookUrl must be an absolute http(s) URL, not '{options.WebhookUrl}'", nameof(options));
        }

        this.http = http;
        this.time = time;
        this.logger = logger;
        url = new Uri(options.WebhookUrl!);
        timeout = options.Timeout;
    }

    public bool IsConfigured => true;

    /// <summary>How many notifications could not be delivered since start; shown on a status page, asserted by tests.</summary>
    public int Failures => Volatile.Read(ref failures);

    public async Task NotifyAsync(CampaignNotification n, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(n);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            using var response = await http.PostAsJsonAsync(url, n, Json, linked.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref failures);
                logger?.LogWarning("Webhook {Url} answered {Status} to {Kind} of campaign {Campaign}", SafeUrl.Show(url, keepPath: false), (int)response.StatusCode, n.Kind, n.CampaignId);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The caller gave up (shutdown); that is not the webhook's failure.
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            Interlocked.Increment(ref failures);
            logger?.LogWarning(e, "Webhook {Url} failed for {Kind} of campaign {Campaign}", SafeUrl.Show(url, keepPath: false), n.Kind, n.CampaignId);
        }
    }
}
