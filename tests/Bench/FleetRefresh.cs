using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Fleet;
using Wrangler.Core.Remote;
using Wrangler.Lab;

namespace Wrangler.Bench;

/// <summary>
/// Section 1: every master's host facts (three repo revisions, the process alive, the lock) on an N-master lab, each
/// master its own loopback address, by Wrangler's poll path and by the tools people use instead, in one run.
/// </summary>
internal sealed class FleetRefresh(LabFleet lab, int runs)
{
    public async Task<IReadOnlyList<Row>> RunAsync()
    {
        var parsed = InventoryParser.Parse(File.ReadAllText(lab.InventoryPath));
        var masters = parsed.Masters.Select((m, i) => m with { Hostname = $"127.0.0.{i + 2}" }).ToList();
        var rows = new List<Row>
        {
            new("fleet refresh", "Wrangler, cold (new sessions)", await WranglerAsync(masters, warm: false)),
            new("fleet refresh", "Wrangler, warm (sessions open)", await WranglerAsync(masters, warm: true)),
        };
        var ansible = new Ansible(lab, masters);
        try
        {
            rows.Add(new("fleet refresh", "ansible -f 10 -m shell, cold", await ansible.RunAsync(runs, cold: true)));
            rows.Add(new("fleet refresh", "ansible -f 10 -m shell, ControlPersist warm", await ansible.RunAsync(runs, cold: false)));
        }
        finally
        {
            await ansible.DisposeAsync();
        }

        rows.Add(new("fleet refresh", "fresh ssh per master, parallel (pssh)", await SshAsync(masters, parallel: true)));
        rows.Add(new("fleet refresh", "fresh ssh per master, in sequence", await SshAsync(masters, parallel: false)));
        return rows;
    }

    private IServiceProvider Services(string controlDir) =>
        new ServiceCollection().AddWranglerRemote(new ConfigurationBuilder()
            .AddJsonFile(lab.SettingsPath)
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Wrangler:Ssh:ControlDirectory"] = controlDir })
            .Build()).BuildServiceProvider();

    private async Task<List<double>> WranglerAsync(IReadOnlyList<MasterInfo> masters, bool warm)
    {
        var samples = new List<double>();
        var controlDir = Directory.CreateTempSubdirectory("wrb-").FullName;
        var shared = warm ? Services(controlDir) : null;
        try
        {
            if (shared is not null)
            {
                await PollAsync(shared, masters); // opens the sessions; not counted
            }

            for (var i = 0; i < runs; i++)
            {
                var services = shared ?? Services(controlDir);
                try
                {
                    samples.Add(await Stats.TimeAsync(() => PollAsync(services, masters)));
                }
                finally
                {
                    if (shared is null)
                    {
                        await ((ServiceProvider)services).DisposeAsync();
                    }
                }
            }
        }
        finally
        {
            if (shared is not null)
            {
                await ((ServiceProvider)shared).DisposeAsync();
            }

            Directory.Delete(controlDir, recursive: true);
        }

        return samples;
    }

    private static async Task PollAsync(IServiceProvider services, IReadOnlyList<MasterInfo> masters)
    {
        var fleet = services.GetRequiredService<IFleetAccess>();
        var facts = await Task.WhenAll(masters.Select(m => fleet.Host(m).GetFactsAsync(0)));
        var broken = facts.Where(f => f.Errors.Count > 0 || f.Repos.Any(r => r.Revision is null) || !f.ProcessAlive).ToList();
        if (broken.Count > 0)
        {
            throw new InvalidOperationException("Wrangler's poll came back incomplete: " + string.Join("; ", broken.SelectMany(f => f.Errors)));
        }
    }

    private async Task<List<double>> SshAsync(IReadOnlyList<MasterInfo> masters, bool parallel)
    {
        var samples = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            samples.Add(await Stats.TimeAsync(async () =>
            {
                if (parallel)
                {
                    await Task.WhenAll(masters.Select(OneSshAsync));
                }
                else
                {
                    foreach (var m in masters)
                    {
                        await OneSshAsync(m);
                    }
                }
            }));
        }

        return samples;
    }

    private async Task OneSshAsync(MasterInfo m)
    {
        var output = await Proc.RunAsync(LabSsh.SshBin,
        [
            "-p", lab.Ssh.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", lab.Ssh.IdentityFile, "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + lab.Ssh.KnownHostsFile,
            $"{lab.Ssh.User}@{m.Hostname}", PeerScript.For(m),
        ]);
        PeerScript.Check(m, output);
    }
}

/// <summary>What a hand-written script runs per master for the same facts: hg per checkout, as manage_masters.py did.</summary>
internal static class PeerScript
{
    public static string For(MasterInfo m)
    {
        var md = Q(m.MasterDir);
        var repos = string.Join("; ", m.Repos.Select(r => $"hg -R {Q(r.Dir)} id -i -b"));
        return $"pid=$(cat {md}/twistd.pid) && kill -0 \"$pid\" && echo alive; test -e {md}/reconfig.lock && echo locked; {repos}";
    }

    public static void Check(MasterInfo m, string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (!lines.Contains("alive") || lines.Count(l => l.Split(' ').Length == 2 && l.Length > 13) < m.Repos.Count)
        {
            throw new InvalidOperationException($"the peer's facts for {m.Name} are incomplete: {output}");
        }
    }

    private static string Q(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
