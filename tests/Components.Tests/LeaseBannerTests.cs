using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Leases;
using Wrangler.Core.Persistence;
using Wrangler.Dashboard.Components.Controls;

namespace Wrangler.Components.Tests;

/// <summary>The follower banner (docs/ha.md) against a real lease on a scratch database another instance holds.</summary>
public sealed class LeaseBannerTests : DatabaseTest
{

    public override async Task InitializeAsync()
    {
        Ctx.Services.AddOptions();
        Ctx.Services.Configure<Wrangler.Core.WranglerOptions>(o => o.Instance = "standby");
        Ctx.Services.AddSingleton<LeaderLease>();
        await MigrateAsync();
    }

    private async Task HeldByAsync(string holder, string? url)
    {
        await using var db = await Ctx.Services.GetRequiredService<IDbContextFactory<WranglerDb>>().CreateDbContextAsync();
        db.Leases.Add(new LeaseRecord
        {
            Name = LeaderLease.Name, Owner = "other", Holder = holder, Host = "another-host", Pid = 1, Url = url,
            Since = T0, RenewedAt = T0, ExpiresAt = T0.AddSeconds(30), Version = 1,
        });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task A_follower_names_itself_and_the_leader_and_links_to_it()
    {
        await HeldByAsync("wrangler-a", "http://10.0.0.5:5000");
        await Ctx.Services.GetRequiredService<LeaderLease>().StartAsync(CancellationToken.None);

        var banner = Ctx.Render<LeaseBanner>();

        Assert.Equal("standby", banner.Find("#lease-self").TextContent);
        Assert.Equal("wrangler-a", banner.Find("#lease-leader").TextContent);
        Assert.Contains("Read-only follower", banner.Find("#lease-banner").TextContent);
        Assert.Equal("http://10.0.0.5:5000/", banner.Find("#lease-leader-link").GetAttribute("href"));
    }

    [Fact]
    public async Task A_leader_url_that_is_not_http_is_shown_as_no_link()
    {
        await HeldByAsync("<b>evil</b>", "javascript:alert(1)");
        await Ctx.Services.GetRequiredService<LeaderLease>().StartAsync(CancellationToken.None);

        var banner = Ctx.Render<LeaseBanner>();

        Assert.Empty(banner.FindAll("#lease-leader-link"));
        Assert.Empty(banner.FindAll("b"));
        Assert.Equal("<b>evil</b>", banner.Find("#lease-leader").TextContent);
    }

    [Fact]
    public async Task The_leader_shows_no_banner()
    {
        await Ctx.Services.GetRequiredService<LeaderLease>().StartAsync(CancellationToken.None);

        var banner = Ctx.Render<LeaseBanner>();

        Assert.Empty(banner.FindAll("#lease-banner"));
    }
}
