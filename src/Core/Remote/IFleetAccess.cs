using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Remote;

/// <summary>How the rest of Wrangler reaches a master: its host and its Buildbot API. A simulated fleet implements this too.</summary>
public interface IFleetAccess
{
    IMasterHost Host(MasterInfo master);

    IBuildbotApi Api(MasterInfo master);
}

/// <summary>The current inventory, for routing between masters. Registered by whoever loads the inventory.</summary>
public interface IInventoryView
{
    IReadOnlyList<MasterInfo> Masters { get; }
}
