using System.Diagnostics;
using Wrangler.Core.Integrations;
using Wrangler.Lab;

namespace Wrangler.Core.Tests.Integrations;

/// <summary>The local command file writer's failure modes, on a real FIFO that nobody reads.</summary>
public sealed class NagiosCommandFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-nagios-cmd-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task A_fifo_with_no_reader_times_out_with_a_clear_error_instead_of_hanging()
    {
        var fifo = Path.Combine(dir, "nagios.cmd");
        await LabProcess.RunCheckedAsync("/usr/bin/mkfifo", [fifo]);
        var sink = new LocalNagiosCommandFile(fifo, TimeSpan.FromMilliseconds(500), TimeProvider.System);
        var sw = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<IntegrationException>(() => sink.WriteAsync(["[1] DEL_DOWNTIME_BY_HOST_NAME;h"], CancellationToken.None));

        Assert.Contains("Nagios is not reading its command file", e.Message, StringComparison.Ordinal);
        Assert.Contains(fifo, e.Message, StringComparison.Ordinal);
        // Not before its 0.5 s limit, and not hanging: the upper bound leaves room for a loaded machine.
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_reader_that_appears_within_the_timeout_gets_the_lines()
    {
        var fifo = Path.Combine(dir, "nagios.cmd");
        await LabProcess.RunCheckedAsync("/usr/bin/mkfifo", [fifo]);
        var sink = new LocalNagiosCommandFile(fifo, TimeSpan.FromSeconds(10), TimeProvider.System);

        var write = sink.WriteAsync(["[1] A;x", "[1] B;y"], CancellationToken.None);
        await Task.Delay(300);
        Assert.False(write.IsCompleted);
        var read = LabProcess.RunAsync("/usr/bin/cat", [fifo], timeout: TimeSpan.FromSeconds(10));
        await write;

        // cat ends at EOF, i.e. when the writer closes.
        var result = await read;
        Assert.Equal("[1] A;x\n[1] B;y\n", result.StdOut);
    }

    [Fact]
    public async Task A_missing_command_file_is_not_created()
    {
        var path = Path.Combine(dir, "nagios.cmd");
        var sink = new LocalNagiosCommandFile(path, TimeSpan.FromSeconds(1), TimeProvider.System);

        var e = await Assert.ThrowsAsync<IntegrationException>(() => sink.WriteAsync(["[1] X"], CancellationToken.None));

        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_regular_file_is_appended_to()
    {
        var path = Path.Combine(dir, "commands.txt");
        await File.WriteAllTextAsync(path, "old\n");
        var sink = new LocalNagiosCommandFile(path, TimeSpan.FromSeconds(1), TimeProvider.System);

        await sink.WriteAsync(["[1] X;a"], CancellationToken.None);

        Assert.Equal("old\n[1] X;a\n", await File.ReadAllTextAsync(path));
    }
}
