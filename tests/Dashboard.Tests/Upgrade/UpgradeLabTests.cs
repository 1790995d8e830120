using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Wrangler.Dashboard.Tests.Fleet;
using Wrangler.Lab;

namespace Wrangler.Dashboard.Tests.Upgrade;

/// <summary>
/// The previous version's database (README.md beside it) on the real lab: its every-5-minutes schedule names
/// bm67-tests1-linux32, so a lab master of that name stands in for the demo one, and the stored trigger, upgraded in
/// place, fires at its stored 07:00Z and restarts the real master.
/// </summary>
public sealed class UpgradeLabTests
{
    private static readonly DateTimeOffset StoredFire = new(2026, 12, 2, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task After_the_upgrade_the_stored_schedule_fires_at_its_stored_time_and_restarts_a_real_master()
    {
        var dir = Directory.CreateTempSubdirectory("wrangler-upgrade-lab-").FullName;
        var db = Path.Combine(dir, "wrangler.db");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Upgrade", "legacy-5f927e0.db"), db);
        try
        {
            await using var lab = await LabFleet.StartAsync(new LabOptions
            {
                Specs = [new LabMasterSpec("bm67-tests1-linux32", "tests")], WorkersPerMaster = 1, StartTimeout = TimeSpan.FromMinutes(4),
            });
            var master = lab.Masters[0];
            var pidBefore = File.ReadAllText(master.TwistdPidFile).Trim();

            // Wrangler's clock (and so Quartz's) reads 06:59:50 on the fixture's day when the app starts, and runs at
            // real speed from there, so the stored 07:00 trigger is due ten real seconds later and real timers drive it.
            var clock = new ShiftedClock(StoredFire.AddSeconds(-10) - TimeProvider.System.GetUtcNow());
            await using var host = await AppHost.StartAsync(
                b => b.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)),
                [.. lab.SettingsArgs, $"--Wrangler:Database={db}", "--Wrangler:PollInterval=00:00:02", "--Wrangler:PollTimeout=00:00:10"]);

            JsonElement fired = default;
            var deadline = TimeProvider.System.GetUtcNow().AddSeconds(90);
            while (fired.ValueKind == JsonValueKind.Undefined && TimeProvider.System.GetUtcNow() < deadline)
            {
                await Task.Delay(250);
                fired = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/campaigns"))!
                    .FirstOrDefault(c => c.TryGetProperty("scheduleId", out var s) && s.ValueKind == JsonValueKind.Number && s.GetInt64() == 2);
            }

            Assert.True(fired.ValueKind == JsonValueKind.Object, "the stored schedule 2 did not fire within 90 s of the app starting");
            var id = fired.GetProperty("id").GetInt64();
            var createdAt = fired.GetProperty("createdAt").GetDateTimeOffset();
            Assert.True(createdAt >= StoredFire && createdAt < StoredFire.AddSeconds(5), $"fired at {createdAt:O}, stored fire time {StoredFire:O}");
            Assert.Equal(StoredFire.AddMinutes(4), fired.GetProperty("notAfter").GetDateTimeOffset());

            JsonElement done = default;
            deadline = TimeProvider.System.GetUtcNow().AddMinutes(3);
            while (TimeProvider.System.GetUtcNow() < deadline)
            {
                done = await host.Client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
                if (done.GetProperty("state").GetString() is "succeeded" or "failed" or "parked" or "aborted")
                {
                    break;
                }

                await Task.Delay(500);
            }

            Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
            var only = Assert.Single(done.GetProperty("masters").EnumerateArray());
            Assert.Equal("bm67-tests1-linux32", only.GetProperty("name").GetString());
            Assert.NotEqual(pidBefore, File.ReadAllText(master.TwistdPidFile).Trim());
            using var workers = await lab.GetJsonAsync(master, "workers");
            Assert.Contains(workers.RootElement.GetProperty("workers").EnumerateArray(), w => w.GetProperty("connected_to").GetArrayLength() > 0);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Real time moved by a fixed offset: real timers, so real masters and Quartz keep real pace.</summary>
    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
