using Wrangler.Core.Remote;

namespace Wrangler.Core.Tests.Remote;

/// <summary>stderr texts as OpenSSH 9.2 prints them (seen on the lab).</summary>
public sealed class SshErrorClassifierTests
{
    private const string Changed = """
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
        @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
        @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
        IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
        Offending ED25519 key in /tmp/kh:1
        Host key for [127.0.0.1]:2299 has changed and you have requested strict checking.
        Host key verification failed.
        """;

    [Theory]
    [InlineData(Changed, SshFailureKind.HostKeyMismatch, "host key mismatch")]
    [InlineData("No ED25519 host key is known for [127.0.0.1]:2299 and you have requested strict checking.\nHost key verification failed.\n", SshFailureKind.HostKeyMismatch, "host key mismatch")]
    [InlineData("root@127.0.0.1: Permission denied (publickey).\n", SshFailureKind.AuthenticationRefused, "authentication refused")]
    [InlineData("ssh: connect to host 127.0.0.1 port 2298: Connection refused\n", SshFailureKind.Unreachable, "unreachable")]
    [InlineData("ssh: Could not resolve hostname nosuch.invalid: Name or service not known\n", SshFailureKind.Unreachable, "unreachable")]
    [InlineData("Connection timed out during banner exchange\nConnection to 10.255.255.1 port 22 timed out\n", SshFailureKind.Timeout, "timed out")]
    [InlineData("ssh: connect to host 10.255.255.1 port 22: Connection timed out\n", SshFailureKind.Timeout, "timed out")]
    [InlineData("kex_exchange_identification: Connection closed by remote host\n", SshFailureKind.Unreachable, "unreachable")]
    [InlineData("", SshFailureKind.Other, "exit 255")]
    public void Classifies(string stderr, SshFailureKind kind, string message)
    {
        var (k, m) = SshErrorClassifier.Classify(stderr, "root@bm01:22");

        Assert.Equal(kind, k);
        Assert.Contains(message, m, StringComparison.Ordinal);
        Assert.Contains("root@bm01:22", m, StringComparison.Ordinal);
    }
}
