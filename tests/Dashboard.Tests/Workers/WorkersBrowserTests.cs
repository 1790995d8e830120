using Microsoft.Playwright;

namespace Wrangler.Dashboard.Tests.Workers;

/// <summary>The Workers page in Chromium on the real lab, with a stopped, a busy and a paused worker.</summary>
[Collection("workers-lab")]
public sealed class WorkersBrowserTests(WorkersLabFixture f) : IAsyncLifetime
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
    public async Task The_workers_page_shows_stopped_busy_and_paused_workers_live_and_an_operator_pauses_from_it()
    {
        var m0 = f.Lab.Masters[0];
        var m1 = f.Lab.Masters[1];
        var stopped = m0.Workers[1];
        var busy = m0.Workers[0];
        var paused = m1.Workers[0];
        var hold = Path.Combine(f.Lab.Root, "hold-browser-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(hold, "held\n");

        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        // Its own account: a Wrangler restarted on the same database (another test does that) keeps the first host's operator password.
        var name = "workers-op-" + Guid.NewGuid().ToString("N")[..8];
        var password = await f.App.CreateUserAsync(name, Core.Auth.Role.Operator);
        await Browser.Browser.SignInAsync(page, f.App.BaseAddress, name, password);
        await page.GotoAsync(new Uri(f.App.BaseAddress, "/workers").ToString(), new() { Timeout = 60_000 });
        await Browser.Browser.WaitForInteractiveAsync(page);
        await Assertions.Expect(Row(page, busy.Name)).ToHaveAttributeAsync("data-state", "idle", new() { Timeout = 10_000 });
        try
        {
            // Stopped on the lab, behind Wrangler's back; the build then has only the other worker of m0 to go to.
            await f.Lab.StopWorkerAsync(stopped);
            await Assertions.Expect(Row(page, stopped.Name)).ToHaveAttributeAsync("data-state", "disconnected", new() { Timeout = 5_000 });
            var request = await f.Lab.ForceBuildAsync(m0, 0, "sleep", hold);
            await Assertions.Expect(Row(page, busy.Name)).ToHaveAttributeAsync("data-state", "busy", new() { Timeout = 10_000 });
            await Assertions.Expect(Row(page, busy.Name).Locator(".wr-current-build")).ToContainTextAsync("sleep #");

            // Paused with the page's own button, after giving a reason.
            await page.Locator("#action-reason").FillAsync("browser check: pause from the page");
            await Row(page, paused.Name).Locator("button[data-action='pause']").ClickAsync();
            await Assertions.Expect(Row(page, paused.Name)).ToHaveAttributeAsync("data-state", "paused", new() { Timeout = 10_000 });
            Assert.True((await f.BuildbotWorkerAsync(m1, paused.Name)).GetProperty("paused").GetBoolean());

            // The missing worker goes critical once past MissingAfter (3 s here) and is listed first in its pool.
            await Assertions.Expect(Row(page, stopped.Name)).ToHaveAttributeAsync("data-liveness", "critical", new() { Timeout = 10_000 });
            await Assertions.Expect(Row(page, stopped.Name).Locator(".wr-liveness-detail")).ToContainTextAsync("disconnected for");
            await Assertions.Expect(page.Locator($"section[data-pool='{m0.Name}'] tbody tr").First).ToHaveAttributeAsync("data-worker", stopped.Name);
            await Assertions.Expect(page.Locator($"section[data-pool='{m0.Name}'] .wr-pool-sums")).ToHaveAttributeAsync("data-missing", "1");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("workers-stopped-busy-paused"), FullPage = true });

            await Row(page, paused.Name).Locator("button[data-action='unpause']").ClickAsync();
            await Assertions.Expect(Row(page, paused.Name)).ToHaveAttributeAsync("data-state", "idle", new() { Timeout = 10_000 });
            File.Delete(hold);
            Assert.Equal(0, await f.Lab.WaitForBuildAsync(m0, request, TimeSpan.FromSeconds(60)));
            await Assertions.Expect(Row(page, busy.Name)).ToHaveAttributeAsync("data-state", "idle", new() { Timeout = 10_000 });
        }
        finally
        {
            File.Delete(hold);
            if (!f.Lab.WorkerRunning(stopped))
            {
                await f.Lab.StartWorkerAsync(stopped);
            }

            using var unpause = await f.ActAsync(paused.Name, "unpause", "browser check cleanup");
        }

        await Assertions.Expect(Row(page, stopped.Name)).ToHaveAttributeAsync("data-state", "idle", new() { Timeout = 10_000 });
    }

    private static ILocator Row(IPage page, string worker) => page.Locator($"tr[data-worker='{worker}']");
}
