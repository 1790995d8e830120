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
