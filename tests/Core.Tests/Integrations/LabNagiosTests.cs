using Wrangler.Lab;

namespace Wrangler.Core.Tests.Integrations;

public sealed class LabNagiosTests
{
    [Fact]
    public async Task Standalone_nagios_starts_reads_commands_and_leaves_nothing_behind()
    {
        var nagios = await LabNagios.StartAsync(["h1"]);
        var root = Path.GetDirectoryName(nagios.Dir)!;
        var pid = nagios.Pid;
        Assert.True(LabProcess.IsAlive(pid));
        Assert.Contains(LabStateFile.TryRead(root)!.Pids, p => p.Pid == pid);
        Assert.Empty(await nagios.DowntimesAsync());

        await nagios.DisposeAsync();

        Assert.False(LabProcess.IsAlive(pid));
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task A_nagios_whose_owner_died_is_swept()
    {
        var nagios = await LabNagios.StartAsync(["h1"]);
        var root = Path.GetDirectoryName(nagios.Dir)!;
        var pid = nagios.Pid;

        // Pretend the test process that started it was killed: an owner pid that no longer exists.
        var state = LabStateFile.TryRead(root)!;
        (state with { OwnerPid = int.MaxValue - 1, OwnerStartTime = 1 }).Write();
        var swept = await LabSweeper.SweepStaleAsync();

        Assert.Contains(root, swept);
        Assert.False(LabProcess.IsAlive(pid));
        await nagios.DisposeAsync();
    }

    [Fact]
    public void A_missing_nagios4_names_the_package()
    {
        var e = Assert.Throws<LabPrerequisiteException>(() => LabPrerequisites.EnsureInstalled([LabPrerequisites.Nagios], _ => false));

        Assert.Contains("apt-get install -y nagios4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_dat_downtime_blocks_are_parsed()
    {
        const string text = """
            hostdowntime {
            	host_name=bm01
            	downtime_id=3
            	start_time=1800000000
            	end_time=1800000600
            	fixed=1
            	duration=600
            	author=alice
            	comment=campaign 7
            	}

            servicedowntime {
            	host_name=bm01
            	service_description=buildbot
            	downtime_id=4
            	start_time=1800000000
            	end_time=1800000600
            	fixed=1
            	duration=600
            	author=alice
            	comment=campaign 7
            	}
            """;

        var d = LabNagios.ParseDowntimes(text);

        Assert.Equal(2, d.Count);
        Assert.Equal(new LabDowntime("host", "bm01", null, 3, DateTimeOffset.FromUnixTimeSeconds(1800000000), DateTimeOffset.FromUnixTimeSeconds(1800000600), true, 600, "alice", "campaign 7"), d[0]);
        Assert.Equal(("service", "buildbot"), (d[1].Type, d[1].ServiceDescription));
    }
}
