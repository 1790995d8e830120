using Wrangler.Core.Remote;
using Wrangler.Core.Tests.Lab;
using Wrangler.Lab;
using Xunit.Abstractions;

namespace Wrangler.Core.Tests.Remote;

/// <summary>known_hosts rules, the same on both transports against the lab's real sshd (docs/remote.md "Host keys").</summary>
[Collection("lab")]
public sealed class HostKeyLabTests(LabFixture lab, ITestOutputHelper output)
{
    private LabFleet Fleet => lab.Fleet;

    private string Name => $"[{Fleet.Ssh.Host}]:{Fleet.Ssh.Port}";

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task A_hashed_entry_among_several_keys_for_the_host_is_accepted(string transport)
    {
        using var dir = new TempDir();
        var impostor = await dir.NewHostKeyLineAsync(Fleet);
        var knownHosts = dir.Write("known_hosts", $"{Name} {impostor}\n{Name} {RealKey()}\n");
        await Fleet.RunAsync("/usr/bin/ssh-keygen", "-q", "-H", "-f", knownHosts);
        Assert.StartsWith("|1|", File.ReadAllText(knownHosts), StringComparison.Ordinal);
        await using var access = LabAccess.For(Fleet, transport, o => o.KnownHostsFile = knownHosts);

        var r = await access.Runner.RunAsync(access.Target, ["echo", "ok"], TimeSpan.FromSeconds(20));

        Assert.Equal("ok\n", r.Stdout);
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task A_host_missing_from_known_hosts_is_refused_with_host_port_and_fingerprint_and_never_learned(string transport)
    {
        using var dir = new TempDir();
        var knownHosts = dir.Write("known_hosts", $"[other.example.org]:{Fleet.Ssh.Port} {RealKey()}\n");
        await using var access = LabAccess.For(Fleet, transport, o => o.KnownHostsFile = knownHosts);

        var ex = await Assert.ThrowsAsync<SshException>(() => access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(10)));
        var again = await Assert.ThrowsAsync<SshException>(() => access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(10)));

        output.WriteLine(ex.Message);
        Assert.Equal(SshFailureKind.HostKeyMismatch, ex.Kind);
        Assert.Equal(SshFailureKind.HostKeyMismatch, again.Kind);
        Assert.Contains(Fleet.Ssh.Host, ex.Message, StringComparison.Ordinal);
        Assert.Contains(Fleet.Ssh.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        if (transport == "sshnet")
        {
            // OpenSSH says only "No ED25519 host key is known"; ours names the key it was offered, like ssh-keygen -l.
            Assert.Contains(await RealFingerprintAsync(), ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal($"[other.example.org]:{Fleet.Ssh.Port} {RealKey()}\n", File.ReadAllText(knownHosts));
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task A_revoked_key_is_refused_although_a_line_trusts_it(string transport)
    {
        using var dir = new TempDir();
        var knownHosts = dir.Write("known_hosts", $"{Name} {RealKey()}\n@revoked * {RealKey()}\n");
        await using var access = LabAccess.For(Fleet, transport, o => o.KnownHostsFile = knownHosts);

        var ex = await Assert.ThrowsAsync<SshException>(() => access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(10)));

        output.WriteLine(ex.Message);
        Assert.Equal(SshFailureKind.HostKeyMismatch, ex.Kind);
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task A_cert_authority_line_is_refused_with_a_clear_message(string transport)
    {
        using var dir = new TempDir();
        var ca = await dir.NewHostKeyLineAsync(Fleet);
        var knownHosts = dir.Write("known_hosts", $"@cert-authority {Name} {ca}\n");
        await using var access = LabAccess.For(Fleet, transport, o => o.KnownHostsFile = knownHosts);

        var ex = await Assert.ThrowsAsync<SshException>(() => access.Runner.RunAsync(access.Target, ["true"], TimeSpan.FromSeconds(10)));

        output.WriteLine(ex.Message);
        Assert.Equal(SshFailureKind.HostKeyMismatch, ex.Kind);
        if (transport == "sshnet")
        {
            Assert.Contains("@cert-authority", ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]
    public async Task A_refused_host_does_not_stop_the_others_on_the_same_transport(string transport)
    {
        using var dir = new TempDir();
        var impostor = await dir.NewHostKeyLineAsync(Fleet);
        var changed = dir.Write("known_hosts", $"{Name} {impostor}\n");
        await using var access = LabAccess.For(Fleet, transport);

        var refused = access.Runner.RunAsync(access.Target with { KnownHostsFile = changed }, ["true"], TimeSpan.FromSeconds(10));
        var fine = Enumerable.Range(0, 4).Select(_ => access.Runner.RunAsync(access.Target, ["echo", "up"], TimeSpan.FromSeconds(20))).ToList();

        Assert.Equal(SshFailureKind.HostKeyMismatch, (await Assert.ThrowsAsync<SshException>(() => refused)).Kind);
        Assert.All(await Task.WhenAll(fine), r => Assert.Equal("up\n", r.Stdout));
    }

    private string RealKey() => File.ReadAllText(Fleet.Ssh.KnownHostsFile).Split('\n')[0].Split(' ', 2)[1].Trim();

    private async Task<string> RealFingerprintAsync() =>
        (await Fleet.RunAsync("/usr/bin/ssh-keygen", "-l", "-f", Path.Combine(Fleet.Root, "ssh", "ssh_host_ed25519_key.pub"))).Split(' ')[1];

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("wr-kh-").FullName;

        public string Write(string name, string text)
        {
            var p = System.IO.Path.Combine(Path, name);
            File.WriteAllText(p, text);
            return p;
        }

        /// <summary>A fresh ed25519 key as "type base64", the shape of a known_hosts key field.</summary>
        public async Task<string> NewHostKeyLineAsync(LabFleet fleet)
        {
            var key = System.IO.Path.Combine(Path, "k" + Guid.NewGuid().ToString("N")[..6]);
            await fleet.RunAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
            return string.Join(' ', File.ReadAllText(key + ".pub").Split(' ').Take(2)).Trim();
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
