using System.Diagnostics;
using Wrangler.Core.Remote;
using Wrangler.Core.Tests.Lab;
using Wrangler.Lab;
using Xunit.Abstractions;

namespace Wrangler.Core.Tests.Remote;

[Collection("lab")]
public sealed class SshTransportLabTests(LabFixture lab, ITestOutputHelper output)
{
    private LabFleet Fleet => lab.Fleet;

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Remote_exit_codes_are_results_and_lines_stream_as_they_come(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var seen = new List<(TimeSpan At, OutputLine Line)>();
        var sw = Stopwatch.StartNew();

        var result = await access.Runner.RunAsync(access.Target, ["sh", "-c", "echo one; echo two >&2; sleep 1; echo three; exit 3"],
            TimeSpan.FromSeconds(20), l => seen.Add((sw.Elapsed, l)));

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("one\nthree\n", result.Stdout);
        Assert.Equal("two\n", result.Stderr);
        Assert.Equal(["one", "three", "two"], seen.Select(s => s.Line.Text).Order(StringComparer.Ordinal));
        Assert.Equal(new OutputLine(OutputStream.Stdout, "three"), seen[^1].Line);
        Assert.True(seen[^1].At - seen[0].At > TimeSpan.FromMilliseconds(700), "the first lines arrived only at the end: output is not streamed");
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Arguments_reach_the_remote_command_unchanged(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        string[] tricky = ["bm01; touch /tmp/wrangler-pwned", "$(id)", "it's", "a\nb", "*", ""];

        var result = await access.Runner.RunAsync(access.Target, ["printf", "[%s]\\n", .. tricky], TimeSpan.FromSeconds(20));

        Assert.Equal(string.Concat(tricky.Select(t => $"[{t}]\n")), result.Stdout);
        Assert.False(File.Exists("/tmp/wrangler-pwned"));
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task A_host_key_that_does_not_match_known_hosts_is_refused_as_a_mismatch(string transport)
    {
        var dir = Directory.CreateTempSubdirectory("wr-kh-").FullName;
        try
        {
            await Fleet.RunAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "impostor"));
            var impostor = File.ReadAllText(Path.Combine(dir, "impostor.pub")).Split(' ');
            var knownHosts = Path.Combine(dir, "known_hosts");
            File.WriteAllText(knownHosts, $"[{Fleet.Ssh.Host}]:{Fleet.Ssh.Port} {impostor[0]} {impostor[1]}\n");
            await using var access = LabAccess.For(Fleet, transport, o => o.KnownHostsFile = knownHosts);

            var sw = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<SshException>(() => access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(10)));

            output.WriteLine($"{ex.Kind} after {sw.ElapsedMilliseconds} ms: {ex.Message}");
            Assert.Equal(SshFailureKind.HostKeyMismatch, ex.Kind);
            Assert.Contains("host key mismatch", ex.Message, StringComparison.Ordinal);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task A_key_the_host_does_not_accept_is_authentication_refused(string transport)
    {
        var dir = Directory.CreateTempSubdirectory("wr-key-").FullName;
        try
        {
            var key = Path.Combine(dir, "id_wrong");
            await Fleet.RunAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
            await using var access = LabAccess.For(Fleet, transport, o => o.IdentityFile = key);

            var sw = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<SshException>(() => access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(10)));

            output.WriteLine($"{ex.Kind} after {sw.ElapsedMilliseconds} ms: {ex.Message}");
            Assert.Equal(SshFailureKind.AuthenticationRefused, ex.Kind);
            Assert.Contains("authentication refused", ex.Message, StringComparison.Ordinal);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task A_dead_port_is_unreachable_without_hanging(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var deadPort = Wrangler.Lab.LoopbackPorts.Next();

        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SshException>(() => access.Runner.RunAsync(access.Target with { Port = deadPort }, ["true"], TimeSpan.FromSeconds(10)));

        output.WriteLine($"{ex.Kind} after {sw.ElapsedMilliseconds} ms: {ex.Message}");
        Assert.Equal(SshFailureKind.Unreachable, ex.Kind);
        Assert.Contains("unreachable", ex.Message, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(9), $"took {sw.Elapsed}: a refused port must not wait out the 10 s timeout");
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task A_command_past_its_timeout_is_killed_and_no_ssh_process_remains(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        await access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(20)); // the mux master is expected to stay
        var marker = "31." + Random.Shared.Next(100000, 999999);

        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SshException>(() => access.Runner.RunAsync(access.Target, ["sleep", marker], TimeSpan.FromSeconds(1)));
        var elapsed = sw.Elapsed;

        output.WriteLine($"{ex.Kind} after {elapsed.TotalMilliseconds:0} ms: {ex.Message}");
        Assert.Equal(SshFailureKind.Timeout, ex.Kind);

        // Killed at its 1 s timeout, not at the end of its 31 s sleep; how soon after depends on the machine's load
        // (a CI run with the lab tests beside it took 3.5 s), which is the benchmark's business, not this test's.
        Assert.True(elapsed < TimeSpan.FromSeconds(15), $"took {elapsed}");
        Assert.Empty(SshClientsMentioning(marker));

        // The remote side is bounded too (timeout(1) a little after ours), so nothing lingers on the host either.
        await WaitUntilAsync(() => ProcessesMentioning(marker).Count == 0, TimeSpan.FromSeconds(10));
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Cancellation_kills_the_command_and_no_ssh_process_remains(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var marker = "32." + Random.Shared.Next(100000, 999999);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(800));

        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => access.Runner.RunAsync(access.Target, ["sleep", marker], TimeSpan.FromSeconds(30), ct: cts.Token));

        // Ended by the cancellation at 0.8 s, not by its 32 s sleep or its 30 s timeout.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"took {sw.Elapsed}");
        Assert.Empty(SshClientsMentioning(marker));
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Multiplexed_commands_cost_milliseconds(string transport)
    {
        await using var access = LabAccess.For(Fleet, transport);
        var first = await access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(20));
        for (var i = 0; i < 5; i++)
        {
            await access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(20));
        }

        var times = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var r = await access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(20));
            times.Add(r.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        var median = (times[24] + times[25]) / 2;
        output.WriteLine($"first (handshake) {first.Elapsed.TotalMilliseconds:0.0} ms; after it, 50 runs of `true`: median {median:0.0} ms, min {times[0]:0.0}, p90 {times[44]:0.0}, max {times[^1]:0.0}");
        // Relative to the handshake measured in the same moment, so a loaded machine slows both: a command on the
        // open connection costs a fraction of opening one (absolute figures are in docs/performance.md).
        Assert.True(median * 3 < first.Elapsed.TotalMilliseconds, $"median {median:0.0} ms against a first call of {first.Elapsed.TotalMilliseconds:0.0} ms");
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Parallel_first_calls_to_one_host_all_succeed(string transport)
    {
        // A poller reaching several masters on one host opens them together; ControlMaster=auto must cope.
        await using var access = LabAccess.For(Fleet, transport);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            access.Runner.RunAsync(access.Target, ["echo", i.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(20))));

        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"{i}\n"), results.Select(r => r.Stdout));
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task Nothing_the_transport_started_outlives_it(string transport)
    {
        // CI once found two `ssh … [mux]` masters and their lab sshd sessions alive 32 minutes after the test that
        // opened them; disposing the transport (as the app's container does on shutdown) must end all of it.
        var before = LabProcess.DescendantsOf([Fleet.Ssh.SshdPid]).ToHashSet();
        var otherKnownHosts = Path.Combine(Fleet.Root, "ssh", "known_hosts." + transport);
        File.Copy(Fleet.Ssh.KnownHostsFile, otherKnownHosts, overwrite: true);
        var access = LabAccess.For(Fleet, transport);
        Task<RemoteResult> running;
        List<int> sessions;
        IReadOnlyList<int> mux;
        try
        {
            await access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(20));
            await access.Runner.RunAsync(access.Target with { KnownHostsFile = otherKnownHosts }, ["true"], TimeSpan.FromSeconds(20));

            // Still running at dispose; neither transport can signal a root command on the lab, so its remote timeout(1)
            // bound (4 + 2 s) is what ends it: within the wait below.
            running = access.Runner.RunAsync(access.Target, ["sleep", "33." + Random.Shared.Next(100000, 999999)], TimeSpan.FromSeconds(4));
            await Task.Delay(500);
            sessions = LabProcess.DescendantsOf([Fleet.Ssh.SshdPid]).Where(p => !before.Contains(p)).ToList();
            mux = (access.Runner as OpenSshRunner)?.MuxMasterPids() ?? [];
            output.WriteLine($"{sessions.Count} sshd session processes, {mux.Count} ssh mux processes");
            Assert.NotEmpty(sessions);
            Assert.True(transport == "sshnet" || mux.Count >= 2, "expected a mux master per target");
        }
        finally
        {
            await access.DisposeAsync();
        }

        await Assert.ThrowsAnyAsync<Exception>(() => running.WaitAsync(TimeSpan.FromSeconds(10)));
        await WaitUntilAsync(() => !sessions.Any(LabProcess.IsAlive) && !mux.Any(LabProcess.IsAlive), TimeSpan.FromSeconds(10));
    }

    private static List<string> SshClientsMentioning(string marker) =>
        ProcessesMentioning(marker).Where(c => c.StartsWith("/usr/bin/ssh ", StringComparison.Ordinal) || c.StartsWith("ssh ", StringComparison.Ordinal)).ToList();

    internal static List<string> ProcessesMentioning(string marker)
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmd.Contains(marker, StringComparison.Ordinal) && !File.ReadAllText(Path.Combine(dir, "stat")).Contains(") Z ", StringComparison.Ordinal))
                {
                    found.Add(cmd);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < timeout, "condition not met in time");
            await Task.Delay(100);
        }
    }
}
