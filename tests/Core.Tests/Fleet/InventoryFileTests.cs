using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Tests.Fleet;

public sealed class InventoryFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-inventory-").FullName;

    private string PathOf => System.IO.Path.Combine(dir, "masters.json");

    private static string Sample => File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Fleet", "Samples", "production-masters-sample.json"));

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private InventoryFile Open() => new(PathOf, TimeProvider.System, NullLogger<InventoryFile>.Instance, TimeSpan.FromMilliseconds(200));

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 50 && !condition(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(condition(), what);
    }

    [Fact]
    public async Task A_bad_edit_is_refused_whole_the_last_good_stays_and_a_fix_is_picked_up_without_restart()
    {
        File.WriteAllText(PathOf, Sample);
        using var inventory = Open();
        Assert.Equal(3, inventory.Masters.Count);
        Assert.False(inventory.Status.HasError);
        var changes = 0;
        inventory.Changed += () => Interlocked.Increment(ref changes);

        var bad = JsonNode.Parse(Sample)!.AsArray();
        bad[1]!["name"] = bad[0]!["name"]!.GetValue<string>();
        bad[2]!.AsObject().Remove("hostname");
        File.WriteAllText(PathOf, bad.ToJsonString());
        await EventuallyAsync(() => inventory.Status.HasError, "the bad edit was not noticed");

        Assert.Equal(3, inventory.Masters.Count);
        Assert.Equal(["bm01-build1"], inventory.Masters.Take(1).Select(m => m.Name));
        Assert.Contains(inventory.Status.Problems, p => p.Index == 1 && p.Field == "name");
        Assert.Contains(inventory.Status.Problems, p => p.Index == 2 && p.Field == "hostname");
        Assert.Contains("previous inventory stays in force", inventory.Status.Error);

        var good = JsonNode.Parse(Sample)!.AsArray();
        good.RemoveAt(2);
        File.WriteAllText(PathOf, good.ToJsonString());
        await EventuallyAsync(() => inventory.Masters.Count == 2, "the fixed file was not picked up");
        Assert.False(inventory.Status.HasError);
        Assert.True(changes >= 2);
    }

    [Fact]
    public async Task A_deleted_file_is_an_error_but_the_masters_stay()
    {
        File.WriteAllText(PathOf, Sample);
        using var inventory = Open();
        File.Delete(PathOf);
        await EventuallyAsync(() => inventory.Status.HasError, "the deletion was not noticed");
        Assert.Contains("does not exist", inventory.Status.Error);
        Assert.Equal(3, inventory.Masters.Count);
    }

    [Fact]
    public void A_file_that_is_bad_from_the_start_gives_no_masters_and_says_why()
    {
        File.WriteAllText(PathOf, "{ not json");
        using var inventory = Open();
        Assert.Empty(inventory.Masters);
        Assert.Contains(inventory.Status.Problems, p => p.Message.Contains("not valid JSON"));
    }
}
