using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Wrangler.Core.Auth;
using Xunit.Abstractions;

namespace Wrangler.Dashboard.Tests.Auth;

/// <summary>
/// Everything the app logs, at Trace for every category, while secrets go by: tokens in headers and in the hub's query
/// string, passwords right and wrong, and allocator/webhook URLs with credentials in them. None may reach a log line.
/// </summary>
public sealed class SecretsInLogsTests(ITestOutputHelper output)
{
    private const string AllocatorPassword = "alloc-pass-s3cret";
    private const string AllocatorQuery = "alloc-query-s3cret";
    private const string WebhookPath = "webhook-path-s3cret";
    private const string WebhookQuery = "hook-query-s3cret";

    [Fact]
    public async Task No_token_password_or_url_credential_reaches_the_logs()
    {
        var logs = new CapturingLogs();
        await using var host = await AppHost.StartAsync(b => b.Logging.AddProvider(logs),
            "--Wrangler:Demo:Seed=9",
            "--Logging:LogLevel:Default=Trace",
            "--Logging:LogLevel:Microsoft.AspNetCore=Trace",
            "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Trace",
            "--Logging:LogLevel:System.Net.Http.HttpClient=Trace",
            "--Logging:LogLevel:Microsoft.EntityFrameworkCore=Information",
            // Port 9 (discard) refuses at once: every allocator call and webhook fails and is reported.
            $"--Wrangler:Allocator:Url=http://alloc-user:{AllocatorPassword}@127.0.0.1:9/api/?key={AllocatorQuery}",
            $"--Wrangler:Notifications:WebhookUrl=http://127.0.0.1:9/hooks/T000/{WebhookPath}?token={WebhookQuery}");

        using var created = await host.Client.PostAsJsonAsync("/api/v1/tokens", new { name = "log-test", role = "operator" });
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        using (var ci = host.NewClient(token))
        {
            (await ci.GetAsync("/api/v1/masters")).EnsureSuccessStatusCode();
        }

        using (var wrong = host.NewClient("wr_not-a-real-token-but-secret-looking"))
        {
            await wrong.GetAsync("/api/v1/masters");
        }

        // The hub's token rides in the query string (browsers cannot set WebSocket headers).
        using (var ws = new ClientWebSocket())
        {
            await ws.ConnectAsync(new UriBuilder(host.BaseAddress) { Scheme = "ws", Path = "/hubs/fleet", Query = $"access_token={token}" }.Uri, CancellationToken.None);
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        const string wrongPassword = "wrong-password-s3cret";
        using (var browser = new SignedInClient(host))
        {
            (await browser.PostLoginAsync(AppHost.OperatorName, wrongPassword)).Dispose();
            await browser.SignInAsync(AppHost.OperatorName, host.OperatorPassword);
        }

        const string newPassword = "new-account-password-s3cret";
        (await host.Client.PostAsJsonAsync("/api/v1/users", new { name = "log-user", password = newPassword, role = "viewer" })).EnsureSuccessStatusCode();

        // A campaign whose allocator step and webhooks fail: their errors are logged and shown.
        var master = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))!
            .First(m => m.GetProperty("role").GetString() is "build" or "tests" && m.GetProperty("enabled").GetBoolean()).GetProperty("name").GetString();
        using var campaign = await host.Client.PostAsJsonAsync("/api/v1/campaigns", new { kind = "restart", selector = new { names = new[] { master } } });
        var id = (await campaign.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        (await host.Client.PostAsync($"/api/v1/campaigns/{id}/approve", null)).EnsureSuccessStatusCode();
        var view = await WaitForEndAsync(host, id);
        output.WriteLine($"campaign {id}: {view.GetProperty("stateDetail")}");

        string[] secrets = [AppHost.BootstrapToken, token, "wr_not-a-real-token-but-secret-looking", wrongPassword, host.OperatorPassword, host.AdminPassword, newPassword,
            AllocatorPassword, AllocatorQuery, WebhookPath, WebhookQuery];
        var lines = logs.Lines;
        output.WriteLine($"{lines.Count} log lines captured");
        Assert.Contains(lines, l => l.Contains("Webhook", StringComparison.Ordinal));
        var leaks = secrets.SelectMany(s => lines.Where(l => l.Contains(s, StringComparison.Ordinal)).Select(l => $"{s}: {l}")).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks.Take(20)));

        // What viewers see of the same failure (step details) holds no credential either.
        var shown = view.ToString();
        Assert.Contains("allocator could not be reached", shown);
        Assert.All(secrets, s => Assert.DoesNotContain(s, shown));
    }

    private static async Task<JsonElement> WaitForEndAsync(AppHost host, long id)
    {
        for (var i = 0; i < 600; i++)
        {
            var c = await host.Client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
            if (c.GetProperty("state").GetString() is "failed" or "parked" or "succeeded" or "aborted")
            {
                return c;
            }

            await Task.Delay(200);
        }

        throw new Xunit.Sdk.XunitException($"campaign {id} did not end within 120 s");
    }

    private sealed class CapturingLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> lines = new();

        public IReadOnlyList<string> Lines => [.. lines];

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
