using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Wrangler.Core.Sync;

/// <summary>Asks <c>Wrangler:Sync:CiStatusUrl</c> whether production is green (see <see cref="SyncOptions.CiStatusUrl"/>).</summary>
public sealed class CiStatus(IHttpClientFactory http, IOptions<SyncOptions> options)
{
    public const string HttpClientName = "wrangler-ci";

    public async Task<(CiVerdict Verdict, string? Detail)> CheckAsync(CancellationToken ct)
    {
        var url = options.Value.CiStatusUrl;
        if (string.IsNullOrWhiteSpace(url))
        {
            return (CiVerdict.NotConfigured, null);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var resp = await http.CreateClient(HttpClientName).GetAsync(url, timeout.Token);
            var body = await resp.Content.ReadAsStringAsync(timeout.Token);
            return Interpret((int)resp.StatusCode, body);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return (CiVerdict.NotGreen, "no answer: " + ex.Message);
        }
    }

    /// <summary>Green is 2xx, and a JSON object's <c>state</c> or <c>status</c> (when present) is "success".</summary>
    public static (CiVerdict Verdict, string? Detail) Interpret(int status, string body)
    {
        if (status is < 200 or > 299)
        {
            return (CiVerdict.NotGreen, $"HTTP {status}");
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && (doc.RootElement.TryGetProperty("state", out var s) || doc.RootElement.TryGetProperty("status", out s)))
            {
                var state = s.ValueKind == JsonValueKind.String ? s.GetString() : s.ToString();
                return string.Equals(state, "success", StringComparison.OrdinalIgnoreCase)
                    ? (CiVerdict.Green, null)
                    : (CiVerdict.NotGreen, $"state is \"{Clip(state)}\"");
            }
        }
        catch (JsonException)
        {
            // Not JSON: a plain 200 is green.
        }

        return (CiVerdict.Green, null);
    }

    private static string Clip(string? s) => s is null ? "" : s.Length > 80 ? s[..80] + "…" : s;
}
