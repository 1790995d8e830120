using Wrangler.Core.Fleet;

namespace Wrangler.Dashboard.Api;

public sealed record InventoryProblemDto(int Index, string? Name, string Field, string Message);

public sealed record InventoryDto(string Source, bool Demo, int Masters, DateTimeOffset LoadedAt, string? Error, DateTimeOffset? FailedAt, IReadOnlyList<InventoryProblemDto> Problems);

public static class InventoryApi
{
    public static RouteGroupBuilder MapInventoryApi(this RouteGroupBuilder api)
    {
        api.MapGet("/inventory", (IFleetMonitor fleet) =>
            {
                var s = fleet.Current.Inventory;
                return new InventoryDto(s.Source, s.IsDemo, s.MasterCount, s.LoadedAt, s.Error, s.FailedAt,
                    [.. s.Problems.Select(p => new InventoryProblemDto(p.Index, p.Name, p.Field, p.Message))]);
            })
            .WithTags("Inventory")
            .WithName("GetInventory")
            .WithSummary("The inventory in force, and why the last edit was refused if it was.");
        return api;
    }
}
