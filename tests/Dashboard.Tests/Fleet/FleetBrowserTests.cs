using System.Text.Json;
using Microsoft.Playwright;
using Wrangler.Dashboard.Tests.Browser;

namespace Wrangler.Dashboard.Tests.Fleet;

/// <summary>What buildduty sees: the fleet page on a real lab, updating by itself.</summary>
[Collection("fleet-lab")]
public sealed class FleetBrowserTests(FleetLabFixture f) : IAsyncLifetime
{
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync() => (playwright, browser) = await Browser.Browser.LaunchAsync();

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }

    [Fact]
    public async Task The_fleet_page_shows_a_state_change_without_reload_filters_to_out_of_sync_and_opens_a_master()
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        await Browser.Browser.SignInAsync(page, f.App.BaseAddress, AppHost.OperatorName, f.App.OperatorPassword);
        await Browser.Browser.WaitForInteractiveAsync(page);
        foreach (var lm in f.Lab.Masters)
        {
            await Assertions.Expect(page.Locator($".wr-row-key[data-master='{lm.Name}']")).ToHaveAttributeAsync("data-state", "running", new() { Timeout = 15_000 });
        }

        // A build forced and a worker paused on the lab show up in the row.
        var busy = f.Lab.Masters[1];
        await page.EvaluateAsync("() => window.__sameDocument = true");
        using var held = await f.Lab.HoldBuildAsync(busy); // running until the test has looked at it
        await Assertions.Expect(page.Locator($".wr-row-key[data-master='{busy.Name}']")).ToHaveAttributeAsync("data-builds", "1", new() { Timeout = (float)FleetLabFixture.Within.TotalMilliseconds });
        await LabRpc.WorkerAsync(f, busy.ApiUrl.ToString(), busy.Workers[1].Name, "pause");
        try
        {
            await Assertions.Expect(page.Locator($".wr-row-key[data-master='{busy.Name}']")).ToHaveAttributeAsync("data-paused", "1", new() { Timeout = (float)FleetLabFixture.Within.TotalMilliseconds });
            await Assertions.Expect(page.Locator($"tr.wr-row:has([data-master='{busy.Name}']) .wr-flag")).ToContainTextAsync("1");
        }
        finally
        {
            await LabRpc.WorkerAsync(f, busy.ApiUrl.ToString(), busy.Workers[1].Name, "unpause");
        }

        // A state change made on the lab arrives over the circuit: no reload, no navigation.
        var m = f.Lab.Masters[2];
        var row = page.Locator($".wr-row-key[data-master='{m.Name}']");
        await page.EvaluateAsync("() => window.__sameDocument = true");
        await f.Lab.StopMasterAsync(m);
        try
        {
            await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "stopped", new() { Timeout = (float)FleetLabFixture.Within.TotalMilliseconds });
            Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page reloaded");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("fleet-lab-stopped"), FullPage = true });
        }
        finally
        {
            await f.Lab.StartMasterAsync(m);
        }

        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "running", new() { Timeout = (float)FleetLabFixture.Within.TotalMilliseconds });

        // Push to production: every master falls behind; pull on one; the filter shows exactly the ones behind.
        await f.Lab.CommitUpstreamAsync("tools", $"notes/{Guid.NewGuid():N}.txt", "browser test\n", "Bug 2 - browser test");
        await f.Lab.PullAsync(f.Lab.Masters[0], "tools");
        var expectedBehind = f.Lab.Masters.Skip(1).Select(x => x.Name).Order().ToList();
        foreach (var name in expectedBehind)
        {
            await Assertions.Expect(page.Locator($".wr-row-key[data-master='{name}']")).ToHaveAttributeAsync("data-in-sync", "false", new() { Timeout = (float)FleetLabFixture.Within.TotalMilliseconds });
        }

        await Assertions.Expect(page.Locator($".wr-row-key[data-master='{f.Lab.Masters[0].Name}']")).ToHaveAttributeAsync("data-in-sync", "true", new() { Timeout = (float)FleetLabFixture.Within.TotalMilliseconds });

        await page.Locator("#out-of-sync-only").CheckAsync();
        await Assertions.Expect(page.Locator("tr.wr-row")).ToHaveCountAsync(expectedBehind.Count);
        // The API judges against the production watcher's tips, which may be one tick behind the page's poll.
        var apiBehind = await OutOfSyncCountAsync();
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); apiBehind != expectedBehind.Count && waited.Elapsed < FleetLabFixture.Within; apiBehind = await OutOfSyncCountAsync())
        {
            await Task.Delay(250);
        }

        Assert.Equal(expectedBehind.Count, apiBehind);
        var shown = (await page.Locator("tr.wr-row .wr-row-key").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.master)")).Order().ToList();
        Assert.Equal(expectedBehind, shown);
        Assert.DoesNotContain(f.Lab.Masters[0].Name, shown);
        Assert.All(await page.Locator("tr.wr-row .wr-row-key").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.inSync)"), v => Assert.Equal("false", v));
        await Assertions.Expect(page.Locator("tr.wr-row .wr-rev.warn").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("fleet-lab-out-of-sync") });

        // Open a master page from the filtered list.
        var target = shown[0];
        await page.Locator($"tr.wr-row:has([data-master='{target}']) a.wr-master-link").ClickAsync();
        await Assertions.Expect(page.Locator("#master-name")).ToHaveTextAsync(target);
        await Assertions.Expect(page.Locator("#repos tr[data-repo='tools']")).ToHaveAttributeAsync("data-in-sync", "false");
        await Assertions.Expect(page.Locator("#workers tbody tr")).ToHaveCountAsync(f.Lab.Master(target).Workers.Count);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("master-lab"), FullPage = true });

        // A refused inventory edit is shown where people look, naming the problem; the fleet stays.
        await page.Locator("a", new() { HasText = "Fleet" }).First.ClickAsync();
        var entries = System.Text.Json.Nodes.JsonNode.Parse(f.OriginalInventory)!.AsArray();
        entries[1]!["name"] = f.Lab.Masters[0].Name;
        await File.WriteAllTextAsync(f.Lab.InventoryPath, entries.ToJsonString());
        try
        {
            var banner = page.Locator("#inventory-error");
            await Assertions.Expect(banner).ToContainTextAsync("duplicate name", new() { Timeout = (float)FleetLabFixture.Within.TotalMilliseconds });
            await Assertions.Expect(banner).ToContainTextAsync($"entry 1 ({f.Lab.Masters[0].Name}), name");
            await Assertions.Expect(page.Locator("tr.wr-row")).ToHaveCountAsync(f.Lab.Masters.Count);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("fleet-lab-inventory-refused") });
        }
        finally
        {
            await File.WriteAllTextAsync(f.Lab.InventoryPath, f.OriginalInventory + "\n");
        }

        await Assertions.Expect(page.Locator("#inventory-error")).ToHaveCountAsync(0, new() { Timeout = (float)FleetLabFixture.Within.TotalMilliseconds });
    }

    private async Task<int> OutOfSyncCountAsync() =>
        (await f.MastersAsync()).Count(j => j.GetProperty("inSync").ValueKind == JsonValueKind.False);
}
