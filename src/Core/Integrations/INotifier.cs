namespace Wrangler.Core.Integrations;

/// <summary>One campaign event for chat and other listeners; posted as camelCase JSON.</summary>
/// <param name="Kind">What happened, e.g. "campaignStarted", "masterFailed", "campaignFinished".</param>
public sealed record CampaignNotification(
    string Kind,
    long CampaignId,
    string State,
    string Summary,
    DateTimeOffset At,
    IReadOnlyDictionary<string, string>? Details = null);

/// <summary>Tells listeners about campaign events. Never throws for a listener's failure: a broken webhook must not fail a campaign.</summary>
public interface INotifier
{
    bool IsConfigured { get; }

    Task NotifyAsync(CampaignNotification n, CancellationToken ct);
}

/// <summary>Used when <c>Wrangler:Notifications:WebhookUrl</c> is unset.</summary>
public sealed class NoNotifier : INotifier
{
    public bool IsConfigured => false;

    public Task NotifyAsync(CampaignNotification n, CancellationToken ct) => Task.CompletedTask;
}
