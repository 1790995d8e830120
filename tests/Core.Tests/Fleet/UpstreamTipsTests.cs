using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Tests.Fleet;

/// <summary>Tips read with the real hg from a local upstream; hg runs again only when the repository changed.</summary>
public sealed class UpstreamTipsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-tips-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task A_tip_is_read_once_until_a_commit_or_a_bookmark_moves_it()
    {
        await HgAsync("init", dir);
        var first = await CommitAsync("a", "one");
        var tips = new UpstreamTips(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Wrangler:Repos:configs:Upstream"] = dir,
        }).Build(), NullLogger<UpstreamTips>.Instance);

        Assert.Equal(first, await TipAsync(tips, "default"));
        Assert.Equal(first, await TipAsync(tips, "default"));
        Assert.Equal(1, tips.HgRuns);

        var second = await CommitAsync("a", "two");
        Assert.Equal(second, await TipAsync(tips, "default"));
        Assert.Equal(2, tips.HgRuns);

        // A bookmark lives outside the store: moving it must be seen too.
        await HgAsync("bookmark", "-R", dir, "-r", first, "production");
        Assert.Equal(first, await TipAsync(tips, "production"));
        await HgAsync("bookmark", "-R", dir, "-f", "-r", second, "production");
        Assert.Equal(second, await TipAsync(tips, "production"));
        Assert.Equal(second, await TipAsync(tips, "production"));
        Assert.Equal(4, tips.HgRuns);
    }

    private static async Task<string?> TipAsync(UpstreamTips tips, string branch) =>
        (await tips.GetTipsAsync([("configs", branch)], CancellationToken.None)).GetValueOrDefault(("configs", branch));

    private async Task<string> CommitAsync(string file, string text)
    {
        await File.WriteAllTextAsync(Path.Combine(dir, file), text);
        await HgAsync("commit", "-R", dir, "-A", "-u", "test", "-m", text);
        return (await HgAsync("id", "-i", "-R", dir)).Trim();
    }

    private static async Task<string> HgAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("hg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HGPLAIN"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"hg {string.Join(' ', args)}: {stderr}");
        return stdout;
    }
}
