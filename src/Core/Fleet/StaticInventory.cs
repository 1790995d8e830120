namespace Wrangler.Core.Fleet;

/// <summary>An inventory that never changes: the demo fleet's, or one a test hands in.</summary>
public sealed class StaticInventory(IReadOnlyList<MasterInfo> masters, string source, bool isDemo, TimeProvider time) : IInventorySource
{
    public IReadOnlyList<MasterInfo> Masters => masters;

    public InventoryStatus Status { get; } = new(source, isDemo, masters.Count, time.GetUtcNow(), [], null, null);

    public event Action? Changed
    {
        add { }
        remove { }
    }
}
