using Wrangler.Core.Integrations;
using Wrangler.Lab;

namespace Wrangler.Core.Tests.Integrations;

/// <summary>The HTTP allocator client against the lab's real HTTP stand-in.</summary>
public sealed class HttpAllocatorTests : IAsyncLifetime
{
    private LabAllocator allocator = null!;
    private readonly HttpClient http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public async Task InitializeAsync() => allocator = await LabAllocator.StartAsync();

    public async Task DisposeAsync()
    {
        await allocator.DisposeAsync();
        http.Dispose();
    }

    private HttpAllocator Client(TimeSpan? timeout = null) =>
        new(http, new AllocatorOptions { Url = allocator.Url + "/", Timeout = timeout ?? TimeSpan.FromSeconds(15) }, TimeProvider.System);

    [Fact]
    public async Task Disable_then_enable_are_recorded_with_notes()
    {
        var master = TestMasters.Master("bm01-tests1-linux32");
        var client = Client();

        await client.DisableAsync(master, "campaign 7: graceful restart; by alice", CancellationToken.None);
        Assert.False(allocator.IsEnabled(master.Name));
        await client.EnableAsync(master, "campaign 7 done", CancellationToken.None);

        Assert.True(allocator.IsEnabled(master.Name));
        Assert.Collection(allocator.Changes,
            c => Assert.Equal((master.Name, false, "campaign 7: graceful restart; by alice"), (c.Master, c.Enabled, c.Notes)),
            c => Assert.Equal((master.Name, true, "campaign 7 done"), (c.Master, c.Enabled, c.Notes)));
        Assert.All(allocator.Requests, r => Assert.Equal(("PUT", "/masters/bm01-tests1-linux32"), (r.Method, r.Path)));
        Assert.Contains("\"enabled\":false", allocator.Requests[0].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_500_is_an_IntegrationException_naming_the_status_and_body()
    {
        allocator.Failure = (500, "{\"error\":\"database is locked\"}");
        var master = TestMasters.Master("bm02-tests1-linux32");

        var e = await Assert.ThrowsAsync<IntegrationException>(() => Client().DisableAsync(master, "n", CancellationToken.None));

        Assert.Equal(500, e.StatusCode);
        Assert.Equal("allocator", e.Integration);
        Assert.Contains("500", e.Message, StringComparison.Ordinal);
        Assert.Contains("database is locked", e.Message, StringComparison.Ordinal);
        Assert.Contains("bm02-tests1-linux32", e.Message, StringComparison.Ordinal);
        Assert.Null(allocator.IsEnabled(master.Name));
    }

    [Fact]
    public async Task A_slow_allocator_times_out_with_a_clear_error()
    {
        allocator.Delay = TimeSpan.FromSeconds(10);
        var sw = System.Diagnostics.Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<IntegrationException>(() =>
            Client(TimeSpan.FromMilliseconds(300)).EnableAsync(TestMasters.Master("bm03-build1"), "n", CancellationToken.None));

        Assert.Contains("did not answer within 0.3 s", e.Message, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(8), $"took {sw.Elapsed}: it waited for the 10 s answer");
    }

    [Fact]
    public async Task An_allocator_that_is_not_listening_is_an_IntegrationException()
    {
        var url = allocator.Url;
        await allocator.DisposeAsync();
        var client = new HttpAllocator(http, new AllocatorOptions { Url = url }, TimeProvider.System);

        var e = await Assert.ThrowsAsync<IntegrationException>(() => client.DisableAsync(TestMasters.Master("bm01-tests1-linux32"), "n", CancellationToken.None));

        Assert.Contains("could not be reached", e.Message, StringComparison.Ordinal);
    }
}
