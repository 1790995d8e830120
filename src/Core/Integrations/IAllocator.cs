using Wrangler.Core.Fleet;

namespace Wrangler.Core.Integrations;

/// <summary>
/// The allocator decides which master workers attach to (Mozilla's slavealloc). A master is disabled there
/// before it goes down, so no new workers are sent to it, and enabled once it is back.
/// </summary>
public interface IAllocator
{
    /// <summary>False when no allocator is configured; calls then do nothing.</summary>
    bool IsConfigured { get; }

    /// <summary>Throws <see cref="IntegrationException"/> when the allocator refuses or does not answer in time.</summary>
    Task DisableAsync(MasterInfo master, string notes, CancellationToken ct);

    /// <summary>Throws <see cref="IntegrationException"/> when the allocator refuses or does not answer in time.</summary>
    Task EnableAsync(MasterInfo master, string notes, CancellationToken ct);
}

/// <summary>Used when <c>Wrangler:Allocator:Url</c> is unset: campaigns run without an allocator step.</summary>
public sealed class NoAllocator : IAllocator
{
    public bool IsConfigured => false;

    public Task DisableAsync(MasterInfo master, string notes, CancellationToken ct) => Task.CompletedTask;

    public Task EnableAsync(MasterInfo master, string notes, CancellationToken ct) => Task.CompletedTask;
}
