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
    private IMonitoringDowntime Downtime(bool withStatus = false)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wrangler:Nagios:CommandFile"] = Nagios.CommandFile,
            ["Wrangler:Nagios:HostName"] = "{name}",
            ["Wrangler:Nagios:StatusFile"] = withStatus ? Nagios.StatusFile : null,
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

        await downtime.EndAsync(master, "alice", null, CancellationToken.None);

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

        await downtime.EndAsync(a, "wrangler", null, CancellationToken.None);

        var now = await Nagios.WaitForDowntimesAsync(d => !d.Any(x => x.HostName == a.Name), Within);
        Assert.Equal(2, now.Count(x => x.HostName == b.Name));
        await downtime.EndAsync(b, "wrangler", null, CancellationToken.None);
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
        await Downtime().EndAsync(master, "bob", null, CancellationToken.None);
        await Nagios.WaitForDowntimesAsync(d => !d.Any(x => x.HostName == master.Name), Within);
    }

    [Fact]
    public async Task With_the_status_file_ending_deletes_only_our_downtime_by_id_and_a_persons_survives()
    {
        var master = TestMasters.Master("bm02-tests1-linux32");
        var downtime = Downtime(withStatus: true);

        // A person's downtime on the same host, through the same command file, with its own author and comment.
        var sink = new LocalNagiosCommandFile(Nagios.CommandFile, TimeSpan.FromSeconds(10), TimeProvider.System);
        await sink.WriteAsync(NagiosCommands.ScheduleDowntime(master.Name, DateTimeOffset.UtcNow, TimeSpan.FromHours(2), "carol", "disk swap, do not touch"), CancellationToken.None);
        await Nagios.WaitForDowntimesAsync(d => d.Count(x => x.Author == "carol" && x.HostName == master.Name) == 2, Within);

        var handle = await downtime.ScheduleAsync(master, TimeSpan.FromMinutes(30), "wrangler", "Wrangler campaign 41: Restart of " + master.Name, CancellationToken.None);

        var now = await Nagios.DowntimesAsync();
        var ours = now.Where(d => d.Author == "wrangler" && d.HostName == master.Name).ToList();
        Assert.Equal(2, ours.Count);
        Assert.Equal(ours.OrderBy(d => d.Type == "host" ? 0 : 1).Select(d => (d.Type, (long)d.DowntimeId)), handle.Ids.Select(i => (i.Type, i.Id)));
        Assert.Contains("Nagios downtime id(s) host ", handle.Detail, StringComparison.Ordinal);

        var ended = await downtime.EndAsync(master, "wrangler", DowntimeHandle.TryParse(handle.Serialize()), CancellationToken.None);

        Assert.StartsWith("downtime ended (Nagios id(s) host ", ended, StringComparison.Ordinal);
        var left = await Nagios.WaitForDowntimesAsync(d => !d.Any(x => x.Author == "wrangler" && x.HostName == master.Name), Within);
        Assert.Equal(2, left.Count(x => x.Author == "carol" && x.HostName == master.Name));
        Assert.Contains(Nagios.ExternalCommandsLogged(), l => l.StartsWith("DEL_HOST_DOWNTIME;" + handle.Ids[0].Id, StringComparison.Ordinal));
        Assert.DoesNotContain(Nagios.ExternalCommandsLogged(), l => l.StartsWith("DEL_DOWNTIME_BY_HOST_NAME;" + master.Name, StringComparison.Ordinal));

        await downtime.EndAsync(master, "carol", null, CancellationToken.None);
        await Nagios.WaitForDowntimesAsync(d => !d.Any(x => x.HostName == master.Name), Within);
    }

    [Fact]
    public async Task An_id_that_never_appears_is_reported_and_ending_falls_back_to_the_host_name()
    {
        var master = TestMasters.Master("bm05-build1");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wrangler:Nagios:CommandFile"] = Nagios.CommandFile,
            ["Wrangler:Nagios:HostName"] = "{name}",
            // A status file Nagios does not write: the id can never be read back.
            ["Wrangler:Nagios:StatusFile"] = Path.Combine(Nagios.Dir, "no-such-status.dat"),
            ["Wrangler:Nagios:StatusTimeout"] = "00:00:01",
        }).Build();
        var downtime = new ServiceCollection().AddWranglerIntegrations(configuration).BuildServiceProvider().GetRequiredService<IMonitoringDowntime>();

        var handle = await downtime.ScheduleAsync(master, TimeSpan.FromMinutes(30), "wrangler", "Wrangler campaign 42: Restart of " + master.Name, CancellationToken.None);

        Assert.Empty(handle.Ids);
        Assert.Contains("did not appear in", handle.Detail, StringComparison.Ordinal);
        Assert.Contains("fall back to DEL_DOWNTIME_BY_HOST_NAME", handle.Detail, StringComparison.Ordinal);
        await Nagios.WaitForDowntimesAsync(d => d.Count(x => x.HostName == master.Name) == 2, Within);

        var ended = await downtime.EndAsync(master, "wrangler", handle, CancellationToken.None);

        Assert.Contains("DEL_DOWNTIME_BY_HOST_NAME", ended, StringComparison.Ordinal);
        Assert.Contains("also ends any other downtime on " + master.Name, ended, StringComparison.Ordinal);
        await Nagios.WaitForDowntimesAsync(d => !d.Any(x => x.HostName == master.Name), Within);
    }
}
