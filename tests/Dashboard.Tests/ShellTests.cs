using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Wrangler.Dashboard.Tests;

public sealed class ShellTests : IAsyncLifetime
{
    private AppHost host = null!;

    public async Task InitializeAsync() => host = await AppHost.StartAsync();

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Healthz_reports_the_database()
    {
        var response = await host.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("healthy", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal("healthy", doc.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Root_serves_the_layout_with_every_area_and_the_blazor_script()
    {
        var html = await host.Client.GetStringAsync("/");
        foreach (var area in new[] { "Fleet", "Campaigns", "Schedules", "Workers", "Audit" })
        {
            Assert.Contains(area, html);
        }
        Assert.Contains("_framework/blazor.web.js", html);
        var js = await host.Client.GetAsync("/_framework/blazor.web.js");
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.True((await js.Content.ReadAsByteArrayAsync()).Length > 10_000);
    }

    [Fact]
    public async Task Site_css_from_the_top_level_wwwroot_is_served()
    {
        var css = await host.Client.GetStringAsync("/css/site.css");
        Assert.Contains("--wr-ok", css);
    }

    [Fact]
    public async Task OpenApi_document_is_served()
    {
        using var doc = JsonDocument.Parse(await host.Client.GetStringAsync("/openapi/v1.json"));
        Assert.StartsWith("3.", doc.RootElement.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task Database_is_migrated_and_in_wal_mode()
    {
        await using var c = new SqliteConnection($"Data Source={Path.Combine(host.DataDir, "wrangler.db")}");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await cmd.ExecuteScalarAsync());
        cmd.CommandText = "SELECT count(*) FROM __EFMigrationsHistory;";
        Assert.True((long)(await cmd.ExecuteScalarAsync())! >= 1);
    }
}
