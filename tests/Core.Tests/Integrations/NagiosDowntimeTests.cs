using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Integrations;
using Wrangler.Lab;

namespace Wrangler.Core.Tests.Integrations;

/// <summary>NagiosDowntime writing to a real Nagios 4's command file, checked in the status.dat Nagios writes.</summary>
public sealed class NagiosDowntimeTests(NagiosFixture fixture) : IClassFixture<NagiosFixture>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    private LabNagios Nagios => fixture.Nagios;

    /// <summary>Wired the way the app wires it: configuration through AddWranglerIntegrations.</summary>
    private IMonitoringDowntime Downtime()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wrangler:Nagios:CommandFile"] = Nagios.CommandFile,
            ["Wrangler:Nagios:HostName"] = "{name}",
        }).Build();
        var services = new ServiceCollection().AddWranglerIntegrations(configuration).BuildServiceProvider();
        return services.GetRequiredService<IMonitoringDowntime>();
    }

    [Fact]
    public async Task Schedule_shows_host_and_service_downtime_then_end_removes_them()
    {
        var master = TestMasters.Master("bm01-tests1-linux32");
        var downtime = Downtime();
        Assert.True(downtime.IsConfigured);
        var before = DateTimeOffset.UtcNow;

        await downtime.ScheduleAsync(master, TimeSpan.FromMinutes(90), "alice", "campaign 7: graceful restart", CancellationToken.None);

        var now = await Nagios.WaitForDowntimesAsync(d => d.Count(x => x.HostName == master.Name) == 2, Within);
        var host = Assert.Single(now, d => d.HostName == master.Name && d.Type == "host");
        var svc = Assert.Single(now, d => d.HostName == master.Name && d.Type == "service");
        Assert.Equal(LabNagios.ServiceName, svc.ServiceDescription);
        Assert.Equal(("alice", "campaign 7: graceful restart", true, 5400L), (host.Author, host.Comment, host.Fixed, host.DurationSeconds));
        Assert.InRange(host.Start, before.AddSeconds(-2), DateTimeOffset.UtcNow.AddSeconds(2));
        Assert.Equal(host.Start.AddMinutes(90), host.End);

        await downtime.EndAsync(master, "alice", CancellationToken.None);

        await Nagios.WaitForDowntimesAsync(d => !d.Any(x => x.HostName == master.Name), Within);
    }

    [Fact]
    public async Task End_removes_only_that_hosts_downtimes()
    {
        var a = TestMasters.Master("bm03-build1");
        var b = TestMasters.Master("bm05-build1");
        var downtime = Downtime();
        await downtime.ScheduleAsync(a, TimeSpan.FromMinutes(10), "wrangler", "a", CancellationToken.None);
        await downtime.ScheduleAsync(b, TimeSpan.FromMinutes(10), "wrangler", "b", CancellationToken.None);
        await Nagios.WaitForDowntimesAsync(d => d.Count(x => x.HostName == a.Name) == 2 && d.Count(x => x.HostName == b.Name) == 2, Within);

        await downtime.EndAsync(a, "wrangler", CancellationToken.None);

        var now = await Nagios.WaitForDowntimesAsync(d => !d.Any(x => x.HostName == a.Name), Within);
        Assert.Equal(2, now.Count(x => x.HostName == b.Name));
        await downtime.EndAsync(b, "wrangler", CancellationToken.None);
        await Nagios.WaitForDowntimesAsync(d => !d.Any(x => x.HostName == b.Name), Within);
    }

    [Fact]
    public async Task A_comment_cannot_inject_a_second_command()
    {
        var master = TestMasters.Master("bm04-try1");
        var victim = "bm02-tests1-linux32";
        var evil = $"done;x\n[1] SCHEDULE_HOST_DOWNTIME;{victim};1;2000000000;1;0;1;mallory;owned";

        await Downtime().ScheduleAsync(master, TimeSpan.FromMinutes(5), "bob;\nDEL_ALL", evil, CancellationToken.None);

        var now = await Nagios.WaitForDowntimesAsync(d => d.Count(x => x.HostName == master.Name) == 2, Within);
        var host = Assert.Single(now, d => d.HostName == master.Name && d.Type == "host");
        Assert.DoesNotContain(";", host.Comment, StringComparison.Ordinal);
        Assert.Equal("bob  DEL_ALL", host.Author);
        Assert.DoesNotContain(now, d => d.HostName == victim);
        Assert.DoesNotContain(Nagios.ExternalCommandsLogged(), l => l.Contains("mallory", StringComparison.Ordinal) && !l.Contains(master.Name, StringComparison.Ordinal));
        await Downtime().EndAsync(master, "bob", CancellationToken.None);
        await Nagios.WaitForDowntimesAsync(d => !d.Any(x => x.HostName == master.Name), Within);
    }
}
