using Microsoft.Extensions.Options;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Tests.Remote;

public sealed class SshRunnerArgumentsTests : IDisposable
{
    private readonly string controlDir = Path.Combine("/tmp", "wr-t-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => Directory.Delete(controlDir, recursive: true);

    private OpenSshRunner Runner(Action<SshOptions>? edit = null)
    {
        var o = new SshOptions
        {
            User = "cltbld", IdentityFile = "/keys/id", KnownHostsFile = "/keys/known_hosts",
            ConnectTimeout = TimeSpan.FromSeconds(4), ControlDirectory = controlDir,
        };
        edit?.Invoke(o);
        return new OpenSshRunner(Options.Create(o), TimeProvider.System);
    }

    [Fact]
    public void Strict_batch_multiplexed_and_argv_terminated()
    {
        var args = Runner().BuildArguments(new SshTarget("bm01.example", 2222), "true");

        Assert.Equal(["--", "bm01.example", "true"], args[^3..]);
        Assert.Contains("BatchMode=yes", args);
        Assert.Contains("StrictHostKeyChecking=yes", args);
        Assert.Contains("UserKnownHostsFile=/keys/known_hosts", args);
        Assert.Contains("ConnectTimeout=4", args);
        Assert.Contains("ControlMaster=auto", args);
        Assert.Equal("2222", args[args.IndexOf("-p") + 1]);
        Assert.Equal("cltbld", args[args.IndexOf("-l") + 1]);
        Assert.Equal("/keys/id", args[args.IndexOf("-i") + 1]);
    }

    [Fact]
    public void Inventory_user_and_port_win()
    {
        var args = Runner(o => o.Port = 22).BuildArguments(new SshTarget("h", 2200, "root"), "true");

        Assert.Equal("2200", args[args.IndexOf("-p") + 1]);
        Assert.Equal("root", args[args.IndexOf("-l") + 1]);
    }

    [Fact]
    public void A_different_key_or_known_hosts_never_shares_a_connection()
    {
        var runner = Runner();
        string ControlPath(SshTarget t) => runner.BuildArguments(t, "true").Single(a => a.StartsWith("ControlPath=", StringComparison.Ordinal));

        var a = ControlPath(new SshTarget("h", 22));
        Assert.Equal(a, ControlPath(new SshTarget("h", 22)));
        Assert.NotEqual(a, ControlPath(new SshTarget("h", 22, IdentityFile: "/other/key")));
        Assert.NotEqual(a, ControlPath(new SshTarget("h", 22, KnownHostsFile: "/other/kh")));
        Assert.NotEqual(a, ControlPath(new SshTarget("h", 23)));
        Assert.True(a.Length - "ControlPath=".Length < 100);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Control_directory_is_private()
    {
        var runner = Runner();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(runner.ControlDirectory!));
    }

    [Fact]
    public void Finite_timeouts_are_enforced_remotely_too()
    {
        var runner = Runner();

        Assert.Equal(["timeout", "-k", "5", "12", "sleep", "60"], runner.RemoteArgv(["sleep", "60"], TimeSpan.FromSeconds(10)));
        Assert.Equal(["tail", "-F"], runner.RemoteArgv(["tail", "-F"], Timeout.InfiniteTimeSpan));
    }
}
