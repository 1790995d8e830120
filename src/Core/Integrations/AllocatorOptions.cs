namespace Wrangler.Core.Integrations;

/// <summary><c>Wrangler:Allocator</c>.</summary>
public sealed class AllocatorOptions
{
    public const string SectionName = "Wrangler:Allocator";

    /// <summary>Base URL; Wrangler sends <c>PUT {Url}/masters/{name}</c>. Unset: no allocator.</summary>
    public string? Url { get; set; }

    /// <summary>How long one request may take, connection included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
}
