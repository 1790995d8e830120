using System.Text.Json;
using static Wrangler.Dashboard.Tests.Campaigns.CampaignLabFixture;

namespace Wrangler.Dashboard.Tests.Campaigns;

/// <summary>A person steering a running campaign on the real lab: pause, resume, retry, skip.</summary>
[Collection("campaign-lab")]
public sealed class CampaignControlTests(CampaignLabFixture f)
{
    [Fact]
    public async Task Pause_starts_nothing_new_until_resumed()
    {
        var id = await f.CreateAsync(new { kind = "restart", selector = new { names = new[] { "bm01-tests1-linux32", "bm02-tests1-linux32" } } });
        await f.PostAsync($"/api/v1/campaigns/{id}/approve");
        await f.PostAsync($"/api/v1/campaigns/{id}/pause");

        // The master in flight finishes; the next one of the bucket waits while the campaign is paused.
        var paused = await f.WaitForCampaignAsync(id, c => c.GetProperty("masters").EnumerateArray().Any(m => State(m) == "succeeded"), "the first master done", TimeSpan.FromMinutes(2));
        Assert.Equal("paused", State(paused));
        await Task.Delay(TimeSpan.FromSeconds(4));
        var still = await f.CampaignAsync(id);
        Assert.Equal("paused", State(still));
        Assert.Single(still.GetProperty("masters").EnumerateArray(), m => State(m) == "pending");

        await f.PostAsync($"/api/v1/campaigns/{id}/resume");
        var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed" or "parked", "the end", TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", State(done));
    }

    [Fact]
    public async Task A_failed_master_parks_the_campaign_and_retry_after_a_fix_finishes_it()
    {
        var m = f.Lab.Master("bm03-tests1-linux32");
        var builders = Path.Combine(m.RepoDir("buildbot-configs"), "builders.py");
        var good = await File.ReadAllTextAsync(builders);
        await File.WriteAllTextAsync(builders, "this is not python (\n");
        try
        {
            var id = await f.CreateAsync(new { kind = "restart", selector = new { names = new[] { m.Name } } });
            await f.PostAsync($"/api/v1/campaigns/{id}/approve");
            var parked = await f.WaitForCampaignAsync(id, c => State(c) == "parked", "parked", TimeSpan.FromMinutes(1));
            var failed = Master(parked, m.Name);
            Assert.Equal("failed", State(failed));
            Assert.Equal("failed", State(Step(failed, "preCheck")));
            Assert.Contains("checkconfig failed, nothing was touched", Step(failed, "preCheck").GetProperty("detail").GetString());
            await f.WaitForMasterAsync(m.Name, j => State(j) == "running", "still running: the pre-check touched nothing", TimeSpan.FromSeconds(10));

            await File.WriteAllTextAsync(builders, good);
            await f.PostAsync($"/api/v1/campaigns/{id}/masters/{m.Name}/retry", 202);
            await f.WaitForCampaignAsync(id, c => State(Master(c, m.Name)) == "succeeded", "the retried master done", TimeSpan.FromMinutes(2));
            Assert.Equal("parked", State(await f.CampaignAsync(id)));
            await f.PostAsync($"/api/v1/campaigns/{id}/resume");
            var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed", "the end", TimeSpan.FromSeconds(30));
            Assert.Equal("succeeded", State(done));
        }
        finally
        {
            await File.WriteAllTextAsync(builders, good);
        }
    }

    [Fact]
    public async Task A_skipped_master_is_left_as_it_was_and_the_campaign_ends()
    {
        var m = f.Lab.Master("bm05-try1");
        var builders = Path.Combine(m.RepoDir("buildbot-configs"), "builders.py");
        var good = await File.ReadAllTextAsync(builders);
        await File.WriteAllTextAsync(builders, "this is not python (\n");
        try
        {
            var id = await f.CreateAsync(new { kind = "gracefulRestart", selector = new { names = new[] { m.Name } } });
            await f.PostAsync($"/api/v1/campaigns/{id}/approve");
            await f.WaitForCampaignAsync(id, c => State(c) == "parked", "parked", TimeSpan.FromMinutes(1));
            await f.PostAsync($"/api/v1/campaigns/{id}/masters/{m.Name}/skip", 202);
            await f.WaitForCampaignAsync(id, c => State(Master(c, m.Name)) == "skipped", "skipped", TimeSpan.FromSeconds(30));
            await f.PostAsync($"/api/v1/campaigns/{id}/resume");
            var done = await f.WaitForCampaignAsync(id, c => State(c) is "succeeded" or "failed", "the end", TimeSpan.FromSeconds(30));
            Assert.Contains("1 skipped", done.GetProperty("stateDetail").GetString());
            await f.WaitForMasterAsync(m.Name, j => State(j) == "running", "running, untouched", TimeSpan.FromSeconds(10));
        }
        finally
        {
            await File.WriteAllTextAsync(builders, good);
        }
    }
}
