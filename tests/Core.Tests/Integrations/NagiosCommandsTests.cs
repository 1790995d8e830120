using Wrangler.Core.Integrations;

namespace Wrangler.Core.Tests.Integrations;

public sealed class NagiosCommandsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void Schedule_writes_host_and_service_downtime_lines()
    {
        var lines = NagiosCommands.ScheduleDowntime("bm01", Now, TimeSpan.FromMinutes(30), "alice", "campaign 7");

        Assert.Equal(
        [
            "[1800000000] SCHEDULE_HOST_DOWNTIME;bm01;1800000000;1800001800;1;0;1800;alice;campaign 7",
            "[1800000000] SCHEDULE_HOST_SVC_DOWNTIME;bm01;1800000000;1800001800;1;0;1800;alice;campaign 7",
        ], lines);
    }

    [Fact]
    public void End_deletes_by_host_name() =>
        Assert.Equal(["[1800000000] DEL_DOWNTIME_BY_HOST_NAME;bm01"], NagiosCommands.EndDowntime("bm01", Now));

    [Fact]
    public void Delete_by_id_names_host_and_service_downtimes_apart() =>
        Assert.Equal(["[1800000000] DEL_HOST_DOWNTIME;12", "[1800000000] DEL_SVC_DOWNTIME;13"],
            NagiosCommands.DeleteDowntimes([new("host", 12), new("service", 13)], Now));

    [Fact]
    public void Delete_refuses_an_unknown_type() =>
        Assert.Throws<ArgumentException>(() => NagiosCommands.DeleteDowntimes([new("host;DEL_ALL", 1)], Now));

    [Fact]
    public void Status_dat_downtime_blocks_are_parsed_and_the_rest_ignored()
    {
        const string status = "info {\n\tversion=4.4.6\n\t}\n\nhostdowntime {\n\thost_name=bm01\n\tdowntime_id=7\n\tauthor=alice\n\tcomment=hand work; careful\n\t}\n"
            + "servicedowntime {\n\thost_name=bm01\n\tservice_description=buildbot\n\tdowntime_id=8\n\tauthor=wrangler\n\tcomment=Wrangler campaign 3: Restart of bm01\n\t}\n"
            + "hoststatus {\n\thost_name=bm01\n\tdowntime_id=99\n\t}\n";

        var all = NagiosStatus.ParseDowntimes(status);

        Assert.Equal(
        [
            new NagiosDowntimeEntry("host", "bm01", null, 7, "alice", "hand work; careful"),
            new NagiosDowntimeEntry("service", "bm01", "buildbot", 8, "wrangler", "Wrangler campaign 3: Restart of bm01"),
        ], all);
    }

    [Fact]
    public void A_downtime_handle_survives_the_ledger_and_old_entries_are_not_handles()
    {
        var handle = new DowntimeHandle("Wrangler campaign 3: Restart of bm01", [new("host", 7), new("service", 8)], "whatever");

        var back = DowntimeHandle.TryParse(handle.Serialize());

        Assert.NotNull(back);
        Assert.Equal(handle.Comment, back.Comment);
        Assert.Equal(handle.Ids, back.Ids);
        Assert.Null(DowntimeHandle.TryParse("downtime for 01:35:00"));
        Assert.Null(DowntimeHandle.TryParse("{not json"));
        Assert.Null(DowntimeHandle.TryParse(null));
    }

    [Theory]
    [InlineData("a;b", "a b")]
    [InlineData("line1\nline2\r\n", "line1 line2")]
    [InlineData("  ", "wrangler")]
    [InlineData(null, "wrangler")]
    public void Free_text_loses_separators(string? input, string expected) => Assert.Equal(expected, NagiosCommands.Text(input));

    [Theory]
    [InlineData("{hostname}", "buildbot-master01.bb.releng.use1.mozilla.com")]
    [InlineData("{name}", "bm01-tests1-linux32")]
    [InlineData("{name}.nagios", "bm01-tests1-linux32.nagios")]
    public void Host_name_comes_from_the_template(string template, string expected) =>
        Assert.Equal(expected, NagiosCommands.HostNameFor(TestMasters.Master("bm01-tests1-linux32", "buildbot-master01.bb.releng.use1.mozilla.com"), template));

    [Theory]
    [InlineData("a;b")]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData("a\nb")]
    public void A_host_name_that_would_break_the_command_is_refused(string host) =>
        Assert.Throws<ArgumentException>(() => NagiosCommands.EndDowntime(host, Now));

    [Fact]
    public void Zero_duration_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => NagiosCommands.ScheduleDowntime("h", Now, TimeSpan.Zero, "a", "c"));
}
