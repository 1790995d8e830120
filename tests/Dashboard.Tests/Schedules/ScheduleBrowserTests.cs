using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Wrangler.Dashboard.Tests.Schedules;

/// <summary>
/// An operator creates a schedule on the Schedules page, with a preview of its next fire times. What each role sees
/// there is a component test: tests/Components.Tests/SchedulesPageTests.cs.
/// </summary>
public sealed class ScheduleBrowserTests : IAsyncLifetime
{
    private AppHost host = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        host = await AppHost.StartAsync("--Wrangler:Demo:Seed=7");
        (playwright, browser) = await Browser.Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await host.DisposeAsync();
    }

    /// <summary>
    /// Fills a field and waits for its effect, filling again if the effect does not come: on a loaded machine the
    /// server's render of the field's previous value (one round trip behind) can land after Playwright's one-shot
    /// fill and put the old text back, where a person typing would simply see it and type again.
    /// </summary>
    private static async Task FillUntilAsync(IPage page, string field, string value, string effect, string text)
    {
        for (var attempt = 1; ; attempt++)
        {
            await page.Locator(field).FillAsync(value);
            try
            {
                await Assertions.Expect(page.Locator(effect)).ToContainTextAsync(text, new() { Timeout = 5000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
                // The text stayed as filled, so the page really did not react: that is a failure, not a lost fill.
                if (await page.Locator(field).InputValueAsync() == value)
                {
                    throw;
                }
            }
        }
    }

    [Fact]
    public async Task An_operator_previews_five_fire_times_creates_a_schedule_and_its_name_shows_as_text()
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 1000 }, TimezoneId = "Europe/Berlin" });
        await Browser.Browser.SignInAsync(page, host.BaseAddress, AppHost.OperatorName, host.OperatorPassword, "/schedules");
        await Browser.Browser.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("#viewer-zone")).ToContainTextAsync("Europe/Berlin");
        await page.Locator("#new-schedule").ClickAsync();

        const string name = "<script>window.pwned=1</script> tests sunday";
        await page.Locator("#s-name").FillAsync(name);
        // Roles are picked from a list, not typed: open it, tick "tests", close it.
        await page.Locator("#s-roles").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "tests" }).ClickAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#s-roles")).ToHaveValueAsync("tests");
        await page.Locator("#s-cron").FillAsync("0 0 22 ? * SUN");
        await page.Locator("#s-zone").FillAsync("America/Los_Angeles");
        await Assertions.Expect(page.Locator("#preview-words")).ToContainTextAsync("At 22:00, on Sunday");
        await Assertions.Expect(page.Locator("#preview-times li")).ToHaveCountAsync(5);
        // Sunday 22:00 in Los Angeles is Monday 07:00 in Berlin (winter).
        await Assertions.Expect(page.Locator("#preview-times li").First).ToContainTextAsync("Sun");
        await Assertions.Expect(page.Locator("#preview-times li").First).ToContainTextAsync("Mon");
        await Assertions.Expect(page.Locator("#preview-times li").First).ToContainTextAsync("07:00 Europe/Berlin");

        // A bad cron is explained at once and nothing is saved.
        await FillUntilAsync(page, "#s-cron", "0 0 25 ? * SUN", "#preview-problems", "not valid");
        await page.Locator("#save-schedule").ClickAsync();
        await Assertions.Expect(page.Locator("#schedule-error")).ToContainTextAsync("not valid");
        await Assertions.Expect(page.Locator("#s-name")).ToHaveValueAsync(name);
        await page.Locator("#s-cron").FillAsync("0 0 22 ? * SUN");
        await Assertions.Expect(page.Locator("#preview-times li")).ToHaveCountAsync(5);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("schedule-form"), FullPage = true });

        await page.Locator("#save-schedule").ClickAsync();
        var row = page.Locator("#schedules tr[data-schedule]");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator(".wr-schedule-name")).ToHaveTextAsync(name);
        await Assertions.Expect(row).ToContainTextAsync("At 22:00, on Sunday");
        await Assertions.Expect(row.Locator(".wr-fire-times li")).ToHaveCountAsync(3);
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.pwned"));
        Assert.Equal(0, await page.Locator("#schedules script").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.Browser.ScreenshotPath("schedules"), FullPage = true });

        var stored = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/schedules"))!.Single();
        Assert.Equal(name, stored.GetProperty("name").GetString());
        Assert.Equal(AppHost.OperatorName, stored.GetProperty("owner").GetString());
        Assert.Equal("none", stored.GetProperty("policy").GetProperty("approval").GetString());
    }
}
