using Wrangler.Core.Fleet;

namespace Wrangler.Core.Integrations;

// Temporary stand-ins until the integrations branch lands.
public interface IAllocator
{
    bool IsConfigured { get; }
    Task DisableAsync(MasterInfo master, string notes, CancellationToken ct);
    Task EnableAsync(MasterInfo master, string notes, CancellationToken ct);
}

public interface IMonitoringDowntime
{
    bool IsConfigured { get; }
    Task ScheduleAsync(MasterInfo master, TimeSpan duration, string author, string comment, CancellationToken ct);
    Task EndAsync(MasterInfo master, string author, CancellationToken ct);
}

public sealed record CampaignNotification(string Kind, long CampaignId, string State, string Summary, DateTimeOffset At, IReadOnlyDictionary<string, string>? Details = null);

public interface INotifier
{
    Task NotifyAsync(CampaignNotification n, CancellationToken ct);
}

public sealed class NoAllocator : IAllocator
{
    public bool IsConfigured => false;
    public Task DisableAsync(MasterInfo master, string notes, CancellationToken ct) => Task.CompletedTask;
    public Task EnableAsync(MasterInfo master, string notes, CancellationToken ct) => Task.CompletedTask;
}

public sealed class NoDowntime : IMonitoringDowntime
{
    public bool IsConfigured => false;
    public Task ScheduleAsync(MasterInfo master, TimeSpan duration, string author, string comment, CancellationToken ct) => Task.CompletedTask;
    public Task EndAsync(MasterInfo master, string author, CancellationToken ct) => Task.CompletedTask;
}

public sealed class NoNotifier : INotifier
{
    public Task NotifyAsync(CampaignNotification n, CancellationToken ct) => Task.CompletedTask;
}
