using Wrangler.Lab;

namespace Wrangler.Core.Tests.Lab;

/// <summary>
/// One real 3-master lab (2 workers each) shared by every test in the "lab" collection.
/// Missing Debian packages make StartAsync throw, so tests fail with the package name instead of skipping.
/// </summary>
public sealed class LabFixture : IAsyncLifetime
{
    private LabFleet? fleet;

    public LabFleet Fleet => fleet ?? throw new InvalidOperationException("the lab did not start");

    public async Task InitializeAsync() => fleet = await LabFleet.StartAsync(new LabOptions());

    public async Task DisposeAsync()
    {
        if (fleet is not null)
        {
            await fleet.DisposeAsync();
        }
    }
}

[CollectionDefinition("lab")]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
}
