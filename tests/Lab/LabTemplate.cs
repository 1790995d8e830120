namespace Wrangler.Lab;

/// <summary>
/// What every lab starts from and no lab changes in place: the upstream repositories at their initial revision and an
/// empty master database. Made once per process and copied (<c>cp -a</c>) into each lab. Making them per lab took
/// about 25 Python start-ups (hg init, branch and commit per upstream, hg clone per master and repo, buildbot
/// create-master), and behind the lab start gate (LabStartGate.cs) each lab's start-up is one the next lab waits for;
/// sampled with top through a CI run on 2026-12-04, hg was the largest single share of the machine's CPU.
/// </summary>
internal static class LabTemplate
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? made;

    /// <summary>A directory holding <c>upstream/&lt;repo&gt;</c> for every lab repo and <c>state.sqlite</c>.</summary>
    public static async Task<string> GetAsync(CancellationToken ct)
    {
        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (made is null)
            {
                // Owned by this process as a lab is, with no processes of its own: it lives as long as the process, and
                // the next lab start's sweep (LabState.cs) removes it, since a test host is killed rather than exits.
                var dir = Path.Combine(Path.GetTempPath(), $"{LabSweeper.TempPrefix}template-{Guid.NewGuid():N}");
                Directory.CreateDirectory(dir);
                new LabStateFile(dir, Environment.ProcessId, LabProcess.StartTime(Environment.ProcessId), false, []).Write();
                try
                {
                    await Task.WhenAll(
                        LabProcess.RunCheckedAsync(LabFleet.BuildbotBin, ["create-master", "-q", "-r", Path.Combine(dir, "master")], dir, ct: ct),
                        Task.WhenAll(LabRepos.All.Select(r => CreateUpstreamAsync(dir, r, ct)))).ConfigureAwait(false);
                }
                catch
                {
                    LabSweeper.TryDelete(dir);
                    throw;
                }

                made = dir;
            }

            return made;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static string Database(string template) => Path.Combine(template, "master", "state.sqlite");

    public static string Upstream(string template, string repo) => Path.Combine(template, "upstream", LabRepos.Check(repo));

    /// <summary>A copy of <paramref name="source"/> at <paramref name="target"/>, modes and times kept, so hg's dirstate still matches.</summary>
    public static Task CopyAsync(string source, string target, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        return LabProcess.RunCheckedAsync("/bin/cp", ["-a", "--", source, target], Path.GetDirectoryName(target)!, ct: ct);
    }

    /// <summary>A copy of the template upstream that is what <c>hg clone -u branch</c> of <paramref name="upstream"/> makes.</summary>
    public static async Task CloneAsync(string template, string repo, string upstream, string target, CancellationToken ct)
    {
        await CopyAsync(Upstream(template, repo), target, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(target, ".hg", "hgrc"), $"[paths]\ndefault = {upstream}\n", ct).ConfigureAwait(false);
    }

    private static async Task CreateUpstreamAsync(string template, string repo, CancellationToken ct)
    {
        var dir = Upstream(template, repo);
        var branch = LabRepos.Branch(repo);
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        await LabProcess.RunCheckedAsync(LabFleet.HgBin, ["init", dir], template, ct: ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(dir, "README"), $"{repo}: Wrangler lab upstream; production branch {branch}.\n", ct).ConfigureAwait(false);
        if (repo == LabRepos.BuildbotConfigs)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "builders.py"), LabFiles.BuildersPy("sleep"), ct).ConfigureAwait(false);
        }

        if (branch != "default")
        {
            await LabProcess.RunCheckedAsync(LabFleet.HgBin, ["branch", "-q", branch], dir, ct: ct).ConfigureAwait(false);
        }

        await LabProcess.RunCheckedAsync(LabFleet.HgBin, ["--config", "ui.username=" + LabFleet.HgUser, "commit", "-q", "-A", "-m", $"{repo}: initial lab revision"], dir, ct: ct).ConfigureAwait(false);
    }
}
