using Wrangler.Core.Buildbot;

namespace Wrangler.Core.Tests.Buildbot;

/// <summary>Lines as a Buildbot 3.7 master writes them (BUILDBOT.md §5).</summary>
public sealed class TwistdLogParserTests
{
    private static readonly DateTimeOffset Fallback = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2026-11-22 03:12:45+0000 [-] BuildMaster is running", MasterLogEventKind.Started, null)]
    [InlineData("2026-11-22 03:12:45+0000 [-] BuildMaster startup failed", MasterLogEventKind.StartupFailed, null)]
    [InlineData("2026-11-22 03:12:45+0000 [-] beginning configuration update", MasterLogEventKind.ReconfigBegun, null)]
    [InlineData("2026-11-22 03:12:45+0000 [-] configuration update complete (took 0.026 seconds)", MasterLogEventKind.ReconfigComplete, null)]
    [InlineData("2026-11-22 03:12:45+0000 [-] configuration update aborted without making any changes (took 0.001 seconds)", MasterLogEventKind.ReconfigAborted, null)]
    [InlineData("2026-11-22 03:12:45+0000 [-] WARNING: configuration update partially applied; master may malfunction (took 0.029 seconds)", MasterLogEventKind.ReconfigPartiallyApplied, null)]
    [InlineData("2026-11-22 03:12:45+0000 [-] Initiating clean shutdown", MasterLogEventKind.CleanShutdownInitiated, null)]
    [InlineData("2026-11-22 03:12:45+0000 [-] Waiting for 1 build(s) to finish", MasterLogEventKind.WaitingForBuilds, 1)]
    [InlineData("2026-11-22 03:12:45+0000 [-] Waiting for 12 build(s) to finish", MasterLogEventKind.WaitingForBuilds, 12)]
    [InlineData("2026-11-22 03:12:45+0000 [-] Server Shut Down.", MasterLogEventKind.ShutDown, null)]
    public void Recognises_markers(string line, MasterLogEventKind kind, int? builds)
    {
        var ev = TwistdLogParser.Parse(line, Fallback);

        Assert.NotNull(ev);
        Assert.Equal(kind, ev.Kind);
        Assert.Equal(builds, ev.Builds);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 3, 12, 45, TimeSpan.Zero), ev.At);
        Assert.Equal(line, ev.Line);
    }

    [Theory]
    [InlineData("2026-11-22 03:12:45+0000 [-] Loading configuration from '/lab/m1/master/master.cfg'")]
    [InlineData("2026-11-22 03:12:45+0000 [-] No running jobs, starting shutdown immediately")]
    [InlineData("2026-11-22 03:12:45+0000 [-] worker m1-w1 wants to stop: {'reason': 'lab graceful'}")]
    [InlineData("2026-11-22 03:12:45+0000 [Broker,0,127.0.0.1] Worker.detached(m1-w1)")]
    [InlineData("2026-11-22 03:12:45+0000 [-] BuildMaster is running on a pony")]
    [InlineData("")]
    public void Ignores_other_lines(string line) => Assert.Null(TwistdLogParser.Parse(line, Fallback));

    [Fact]
    public void Uses_the_fallback_time_and_the_line_offset()
    {
        Assert.Equal(Fallback, TwistdLogParser.Parse("Server Shut Down.", Fallback)!.At);
        Assert.Equal(TimeSpan.FromHours(-7), TwistdLogParser.Parse("2026-11-22 03:12:45-0700 [-] BuildMaster is running", Fallback)!.At.Offset);
    }

    [Fact]
    public void A_clean_shutdown_reads_in_order()
    {
        string[] log =
        [
            "2026-11-22 03:12:40+0000 [-] Received SIGUSR1, shutting down cleanly",
            "2026-11-22 03:12:40+0000 [-] Initiating clean shutdown",
            "2026-11-22 03:12:40+0000 [-] Waiting for 1 build(s) to finish",
            "2026-11-22 03:13:05+0000 [-] No running jobs, starting shutdown immediately",
            "2026-11-22 03:13:05+0000 [-] Stopping reactor",
            "2026-11-22 03:13:06+0000 [-] BuildMaster is stopped",
            "2026-11-22 03:13:06+0000 [-] Main loop terminated.",
            "2026-11-22 03:13:06+0000 [-] Server Shut Down.",
        ];

        var kinds = TwistdLogParser.ParseAll(log, Fallback).Select(e => e.Kind);

        Assert.Equal([MasterLogEventKind.CleanShutdownInitiated, MasterLogEventKind.WaitingForBuilds, MasterLogEventKind.ShutDown], kinds);
    }
}
