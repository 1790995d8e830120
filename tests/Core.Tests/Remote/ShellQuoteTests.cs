using System.Diagnostics;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Tests.Remote;

public sealed class ShellQuoteTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("/builds/buildbot/m1/master", "/builds/buildbot/m1/master")]
    [InlineData("", "''")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("$(reboot)", "'$(reboot)'")]
    [InlineData("a=b", "'a=b'")]
    [InlineData("x\ny", "'x\ny'")]
    public void Quotes_for_a_posix_shell(string input, string expected) => Assert.Equal(expected, ShellQuote.Quote(input));

    [Fact]
    public void Nul_is_refused() => Assert.Throws<ArgumentException>(() => ShellQuote.Quote("a\0b"));

    [Fact]
    public void A_real_shell_gets_back_exactly_the_argv()
    {
        string[] argv = ["printf", "%s\\n", "bm01; rm -rf /", "it's \"quoted\"", "$HOME `id` $(id)", "a\nb", "*", "", "~", "\\", "!x", "-n"];
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(ShellQuote.Join(argv));
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();

        Assert.Equal(string.Join("", argv[2..].Select(a => a + "\n")), output);
    }
}
