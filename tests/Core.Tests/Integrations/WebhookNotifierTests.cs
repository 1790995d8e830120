using System.Text.Json;
using Wrangler.Core.Integrations;
using Wrangler.Lab;

namespace Wrangler.Core.Tests.Integrations;

public sealed class WebhookNotifierTests : IAsyncLifetime
{
    private LabAllocator listener = null!;
    private readonly HttpClient http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public async Task InitializeAsync() => listener = await LabAllocator.StartAsync();

    public async Task DisposeAsync()
    {
        await listener.DisposeAsync();
        http.Dispose();
    }

    private WebhookNotifier Notifier(string? url = null, TimeSpan? timeout = null) =>
        new(http, new NotificationOptions { WebhookUrl = url ?? listener.WebhookUrl, Timeout = timeout ?? TimeSpan.FromSeconds(5) }, TimeProvider.System);

    private static CampaignNotification Sample() => new(
        "masterFailed", 42, "parked", "bm01-tests1-linux32 failed: checkconfig",
        new DateTimeOffset(2026, 11, 22, 7, 0, 0, TimeSpan.Zero),
        new Dictionary<string, string> { ["master"] = "bm01-tests1-linux32" });

    [Fact]
    public async Task Posts_the_notification_as_camelCase_json()
    {
        var notifier = Notifier();

        await notifier.NotifyAsync(Sample(), CancellationToken.None);

        var body = Assert.Single(listener.Webhooks);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        Assert.Equal("masterFailed", root.GetProperty("kind").GetString());
        Assert.Equal(42, root.GetProperty("campaignId").GetInt64());
        Assert.Equal("parked", root.GetProperty("state").GetString());
        Assert.Equal("bm01-tests1-linux32 failed: checkconfig", root.GetProperty("summary").GetString());
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 7, 0, 0, TimeSpan.Zero), root.GetProperty("at").GetDateTimeOffset());
        Assert.Equal("bm01-tests1-linux32", root.GetProperty("details").GetProperty("master").GetString());
        Assert.Equal(0, notifier.Failures);
    }

    [Fact]
    public async Task A_failing_webhook_is_counted_and_swallowed()
    {
        listener.Failure = (500, "chat is down");
        var notifier = Notifier();

        await notifier.NotifyAsync(Sample(), CancellationToken.None);

        Assert.Equal(1, notifier.Failures);
    }

    [Fact]
    public async Task A_slow_or_unreachable_webhook_is_swallowed()
    {
        listener.Delay = TimeSpan.FromSeconds(5);
        var slow = Notifier(timeout: TimeSpan.FromMilliseconds(200));
        await slow.NotifyAsync(Sample(), CancellationToken.None);
        Assert.Equal(1, slow.Failures);

        var url = listener.WebhookUrl;
        await listener.DisposeAsync();
        var gone = Notifier(url);
        await gone.NotifyAsync(Sample(), CancellationToken.None);
        Assert.Equal(1, gone.Failures);
    }
}
