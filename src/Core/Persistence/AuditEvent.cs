namespace Wrangler.Core.Persistence;

/// <summary>Something a person or automation did; the audit log is append-only.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Actor { get; set; }
    public required string Kind { get; set; }
    public required string Subject { get; set; }
    public string? Detail { get; set; }
}
