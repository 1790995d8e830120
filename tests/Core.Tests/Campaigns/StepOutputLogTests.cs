using Wrangler.Core.Campaigns;

namespace Wrangler.Core.Tests.Campaigns;

public sealed class StepOutputLogTests
{
    [Fact]
    public void Keeps_the_last_lines_of_the_current_step_and_counts_them_all()
    {
        var log = new StepOutputLog();
        for (var i = 0; i < StepOutputLog.KeepLines + 50; i++)
        {
            log.Append(1, "bm01", StepKind.Start, $"line {i}");
        }

        var tail = log.Tails(1)["bm01"];
        Assert.Equal(StepKind.Start, tail.Step);
        Assert.Equal(StepOutputLog.KeepLines + 50, tail.Total);
        Assert.Equal(StepOutputLog.KeepLines, tail.Lines.Count);
        Assert.Equal("line 50", tail.Lines[0]);
        Assert.Equal($"line {StepOutputLog.KeepLines + 49}", tail.Lines[^1]);
        Assert.Equal(["line 248", "line 249"], log.Tails(1, lines: 2)["bm01"].Lines);
    }

    [Fact]
    public void A_new_step_starts_an_empty_box_and_masters_and_campaigns_are_apart()
    {
        var log = new StepOutputLog();
        log.Append(1, "bm01", StepKind.PreCheck, "Config file is good!");
        log.Append(1, "bm02", StepKind.PreCheck, "other master");
        log.Append(2, "bm01", StepKind.Reconfig, "other campaign");
        log.Append(1, "bm01", StepKind.HardStop, "buildbot process 42 is dead");

        var tails = log.Tails(1);
        Assert.Equal(["bm01", "bm02"], tails.Keys.Order());
        Assert.Equal((StepKind.HardStop, 1L), (tails["bm01"].Step, tails["bm01"].Total));
        Assert.Equal(["buildbot process 42 is dead"], tails["bm01"].Lines);
        Assert.Equal(["other master"], tails["bm02"].Lines);
        Assert.Equal(["other campaign"], log.Tails(2)["bm01"].Lines);
        Assert.Empty(log.Tails(3));
    }

    [Fact]
    public void Memory_is_bounded_in_masters_and_line_length()
    {
        var log = new StepOutputLog();
        for (var i = 0; i < StepOutputLog.KeepMasters + 10; i++)
        {
            log.Append(i, "bm01", StepKind.Start, "x");
        }

        // The oldest writers went first; the newest are kept.
        Assert.Empty(log.Tails(0));
        Assert.Single(log.Tails(StepOutputLog.KeepMasters + 9));
        Assert.Equal(StepOutputLog.KeepMasters, Enumerable.Range(0, StepOutputLog.KeepMasters + 10).Count(i => log.Tails(i).Count == 1));

        log.Append(9999, "bm01", StepKind.Start, new string('a', 10_000));
        Assert.Equal(StepOutputLog.MaxLineLength + 2, log.Tails(9999)["bm01"].Lines[0].Length);
    }

    [Fact]
    public void Every_line_is_announced_with_its_step_and_the_sink_names_them()
    {
        var log = new StepOutputLog();
        var seen = new List<StepOutputLine>();
        log.Appended += seen.Add;

        var sink = log.Sink(7, "bm03", StepKind.CheckConfig);
        sink("Config file is good!");
        sink("<b>not markup</b>");

        Assert.Equal(
        [
            new StepOutputLine(7, "bm03", StepKind.CheckConfig, "Config file is good!"),
            new StepOutputLine(7, "bm03", StepKind.CheckConfig, "<b>not markup</b>"),
        ], seen);
    }
}
