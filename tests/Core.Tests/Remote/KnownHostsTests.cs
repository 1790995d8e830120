using System.Security.Cryptography;
using System.Text;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Tests.Remote;

public sealed class KnownHostsTests
{
    private static readonly byte[] Real = Blob("ssh-ed25519", 1);
    private static readonly byte[] Other = Blob("ssh-ed25519", 2);
    private static readonly byte[] Rsa = Blob("ssh-rsa", 3);

    [Fact]
    public void Plain_and_bracketed_entries_match_by_port()
    {
        var kh = KnownHosts.Parse($"bm01.example.org {Line(Real)}\n[bm02.example.org]:2222 {Line(Real)}\n");

        Assert.True(kh.Check("bm01.example.org", 22, "ssh-ed25519", Real).Trusted);
        Assert.True(kh.Check("BM02.example.org", 2222, "ssh-ed25519", Real).Trusted);
        Assert.False(kh.Check("bm02.example.org", 22, "ssh-ed25519", Real).Trusted);
        Assert.False(kh.Check("bm01.example.org", 2222, "ssh-ed25519", Real).Trusted);
    }

    [Fact]
    public void A_hashed_entry_matches_only_its_host_and_port()
    {
        var kh = KnownHosts.Parse($"{Hashed("[bm03.example.org]:2222")} {Line(Real)}\n");

        Assert.True(kh.Check("bm03.example.org", 2222, "ssh-ed25519", Real).Trusted);
        Assert.False(kh.Check("bm03.example.org", 22, "ssh-ed25519", Real).Trusted);
        Assert.False(kh.Check("bm04.example.org", 2222, "ssh-ed25519", Real).Trusted);
    }

    [Fact]
    public void Several_keys_per_host_any_of_them_is_trusted_and_types_are_listed()
    {
        var kh = KnownHosts.Parse($"bm01,10.0.0.1 {Line(Other)}\nbm01 {Line(Rsa)}\nbm01 {Line(Real)}\n");

        Assert.True(kh.Check("bm01", 22, "ssh-ed25519", Real).Trusted);
        Assert.True(kh.Check("10.0.0.1", 22, "ssh-ed25519", Other).Trusted);
        Assert.Equal(["ssh-ed25519", "ssh-rsa"], kh.KeyTypesFor("bm01", 22).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Wildcards_and_negation_follow_openssh()
    {
        var kh = KnownHosts.Parse($"*.example.org,!bad.example.org {Line(Real)}\n[127.*]:2200 {Line(Real)}\nbm?? {Line(Real)}\n");

        Assert.True(kh.Check("bm01.example.org", 22, "ssh-ed25519", Real).Trusted);
        Assert.False(kh.Check("bad.example.org", 22, "ssh-ed25519", Real).Trusted);
        Assert.True(kh.Check("127.0.0.42", 2200, "ssh-ed25519", Real).Trusted);
        Assert.True(kh.Check("bm07", 22, "ssh-ed25519", Real).Trusted);
        Assert.False(kh.Check("bm100", 22, "ssh-ed25519", Real).Trusted);
    }

    [Fact]
    public void A_missing_host_is_refused_naming_host_port_and_the_offered_fingerprint()
    {
        var kh = KnownHosts.Parse($"bm01 {Line(Real)}\n", "/etc/wrangler/known_hosts");

        var v = kh.Check("bm09", 2222, "ssh-ed25519", Other);

        Assert.False(v.Trusted);
        Assert.Contains("bm09 port 2222", v.Message, StringComparison.Ordinal);
        Assert.Contains(KnownHosts.Fingerprint(Other), v.Message, StringComparison.Ordinal);
        Assert.Contains("/etc/wrangler/known_hosts", v.Message, StringComparison.Ordinal);
        Assert.StartsWith("SHA256:", KnownHosts.Fingerprint(Other), StringComparison.Ordinal);
        Assert.DoesNotContain('=', KnownHosts.Fingerprint(Other));
    }

    [Fact]
    public void A_changed_key_is_refused_as_changed_with_both_fingerprints()
    {
        var kh = KnownHosts.Parse($"bm01 {Line(Real)}\n");

        var v = kh.Check("bm01", 22, "ssh-ed25519", Other);

        Assert.False(v.Trusted);
        Assert.Contains("HAS CHANGED", v.Message, StringComparison.Ordinal);
        Assert.Contains(KnownHosts.Fingerprint(Other), v.Message, StringComparison.Ordinal);
        Assert.Contains(KnownHosts.Fingerprint(Real), v.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_revoked_key_is_refused_even_when_another_line_trusts_it()
    {
        var kh = KnownHosts.Parse($"bm01 {Line(Real)}\n@revoked * {Line(Real)}\n");

        var v = kh.Check("bm01", 22, "ssh-ed25519", Real);

        Assert.False(v.Trusted);
        Assert.Contains("REVOKED", v.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", v.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cert_authority_line_for_the_host_is_refused_with_a_clear_message_not_ignored()
    {
        var kh = KnownHosts.Parse($"@cert-authority *.example.org {Line(Other)}\nbm01.example.org {Line(Real)}\n");

        var v = kh.Check("bm01.example.org", 22, "ssh-ed25519", Real);

        Assert.False(v.Trusted);
        Assert.Contains("@cert-authority", v.Message, StringComparison.Ordinal);
        Assert.Contains("Wrangler:Ssh:Client=openssh", v.Message, StringComparison.Ordinal);
        Assert.True(kh.Check("bm01.other.org", 22, "ssh-ed25519", Real) is { Trusted: false });
    }

    [Fact]
    public void Comments_blank_and_malformed_lines_trust_nothing()
    {
        var kh = KnownHosts.Parse($"# bm01 {Line(Real)}\n\nbm01 ssh-ed25519 not-base64!!\nbm01\n");

        Assert.Empty(kh.Entries);
        Assert.False(kh.Check("bm01", 22, "ssh-ed25519", Real).Trusted);
    }

    private static string Line(byte[] blob) => $"{TypeOf(blob)} {Convert.ToBase64String(blob)}";

    private static string TypeOf(byte[] blob) => Encoding.ASCII.GetString(blob, 4, (blob[0] << 24) | (blob[1] << 16) | (blob[2] << 8) | blob[3]);

    // An SSH wire-format key blob: string type, then some key bytes.
    private static byte[] Blob(string type, byte seed)
    {
        var t = Encoding.ASCII.GetBytes(type);
        var key = Enumerable.Range(0, 32).Select(i => (byte)(i * seed + seed)).ToArray();
        return [0, 0, 0, (byte)t.Length, .. t, 0, 0, 0, 32, .. key];
    }

    private static string Hashed(string name)
    {
        var salt = RandomNumberGenerator.GetBytes(20);
        return $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name)))}";
    }
}
