using System.Diagnostics;
using Wrangler.Core.Remote;
using Wrangler.Core.Tests.Lab;
using Wrangler.Lab;
using Xunit.Abstractions;

namespace Wrangler.Core.Tests.Remote;

/// <summary>What only the in-process transport promises: its sessions, its identity files, its channels.</summary>
[Collection("lab")]
public sealed class SshNetLabTests(LabFixture lab, ITestOutputHelper output)
{
    private LabFleet Fleet => lab.Fleet;

    [Theory]
    [InlineData("ed25519", "")]
    [InlineData("ecdsa", "")]
    [InlineData("rsa", "")]
    [InlineData("ed25519", "correct horse battery")]
    public async Task OpenSSH_format_identities_authenticate_with_the_configured_passphrase(string type, string passphrase)
    {
        var dir = Directory.CreateTempSubdirectory("wr-id-").FullName;
        try
        {
            var key = Path.Combine(dir, "id_" + type);
            await Fleet.RunAsync("/usr/bin/ssh-keygen", "-q", "-t", type, "-N", passphrase, "-f", key);
            Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----", File.ReadAllText(key), StringComparison.Ordinal);
            await File.AppendAllTextAsync(Path.Combine(Fleet.Root, "ssh", "authorized_keys"), File.ReadAllText(key + ".pub"));
            await using var access = LabAccess.For(Fleet, "sshnet", o =>
            {
                o.IdentityFile = key;
                o.IdentityPassphrase = passphrase.Length == 0 ? null : passphrase;
            });

            var r = await access.Runner.RunAsync(access.Target, ["echo", type], TimeSpan.FromSeconds(20));
            Assert.Equal(type + "\n", r.Stdout);

            if (passphrase.Length > 0)
            {
                await using var wrong = LabAccess.For(Fleet, "sshnet", o =>
                {
                    o.IdentityFile = key;
                    o.IdentityPassphrase = "wrong";
                });
                var ex = await Assert.ThrowsAsync<SshException>(() => wrong.Runner.RunAsync(wrong.Target, ["true"], TimeSpan.FromSeconds(10)));
                output.WriteLine(ex.Message);
                Assert.Equal(SshFailureKind.AuthenticationRefused, ex.Kind);
                Assert.Contains(key, ex.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task One_session_per_host_is_made_once_even_when_the_first_calls_come_together()
    {
        await using var access = LabAccess.For(Fleet, "sshnet");
        var runner = Assert.IsType<SshNetRunner>(access.Runner);

        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(20))));
        for (var i = 0; i < 10; i++)
        {
            await runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(20));
        }

        Assert.Equal(1, runner.ConnectAttempts);
        Assert.Equal(1, runner.ConnectedSessions);
    }

    [Fact]
    public async Task A_lost_session_is_replaced_by_the_next_call()
    {
        var before = LabProcess.DescendantsOf([Fleet.Ssh.SshdPid]).ToHashSet();
        await using var access = LabAccess.For(Fleet, "sshnet");
        var runner = Assert.IsType<SshNetRunner>(access.Runner);
        await runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(20));
        var ours = LabProcess.DescendantsOf([Fleet.Ssh.SshdPid]).Where(p => !before.Contains(p)).ToList();
        Assert.NotEmpty(ours);

        foreach (var p in ours)
        {
            LabProcess.Kill(p); // The host drops the connection.
        }

        await SshTransportLabTests.WaitUntilAsync(() => runner.ConnectedSessions == 0, TimeSpan.FromSeconds(5));
        var r = await runner.RunAsync(access.Target, ["echo", "back"], TimeSpan.FromSeconds(20));

        Assert.Equal("back\n", r.Stdout);
        Assert.Equal(2, runner.ConnectAttempts);
    }

    [Fact]
    public async Task A_timed_out_call_returns_at_once_and_the_session_stays_usable()
    {
        await using var access = LabAccess.For(Fleet, "sshnet");
        var runner = Assert.IsType<SshNetRunner>(access.Runner);
        await runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(20));
        var marker = "34." + Random.Shared.Next(100000, 999999);

        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SshException>(() => runner.RunAsync(access.Target, ["sleep", marker], TimeSpan.FromSeconds(1)));
        output.WriteLine($"{ex.Kind} after {sw.ElapsedMilliseconds} ms: {ex.Message}");
        Assert.Equal(SshFailureKind.Timeout, ex.Kind);
        // At its 1 s timeout, not at the end of the 34 s sleep; how soon after is the load's doing, not the code's.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"took {sw.Elapsed}");

        // The channel is closed at once. sshd is also sent SIGTERM for the command, but refuses it for root sessions
        // like the lab's (sshd.log: "session signalling requires privilege separation"), so there the remote timeout(1)
        // bound ends it, as with the OpenSSH client.
        await SshTransportLabTests.WaitUntilAsync(() => SshTransportLabTests.ProcessesMentioning(marker).Count == 0, TimeSpan.FromSeconds(10));
        Assert.Equal("still\n", (await runner.RunAsync(access.Target, ["echo", "still"], TimeSpan.FromSeconds(20))).Stdout);
        Assert.Equal(1, runner.ConnectAttempts);
    }
}
