namespace Wrangler.Core.Integrations;

/// <summary><c>Wrangler:Notifications</c>.</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Wrangler:Notifications";

    /// <summary>Receives every campaign event as a JSON POST. Unset: no notifications.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Kept short: a slow chat server must not slow a campaign down.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}
