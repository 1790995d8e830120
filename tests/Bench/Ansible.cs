using System.Text.Json;
using Wrangler.Core.Fleet;
using Wrangler.Lab;

namespace Wrangler.Bench;

/// <summary>
/// Debian's ansible, ad hoc (<c>ansible all -f 10 -m shell</c>), tuned as a person would: pipelining on, and
/// OpenSSH ControlPersist so warm runs reuse a connection per host. Its control masters live in a directory of ours
/// and are ended on dispose: nothing the benchmark starts may outlive it.
/// </summary>
internal sealed class Ansible : IAsyncDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrb-ansible-").FullName;
    private readonly string inventory;
    private readonly Dictionary<string, string> env;
    private readonly IReadOnlyList<MasterInfo> masters;

    public Ansible(LabFleet lab, IReadOnlyList<MasterInfo> masters)
    {
        this.masters = masters;
        inventory = Path.Combine(dir, "inventory.json");
        var hosts = masters.ToDictionary(m => m.Name, m => (object)new Dictionary<string, object>
        {
            ["ansible_host"] = m.Hostname,
            ["ansible_port"] = lab.Ssh.Port,
            ["ansible_user"] = lab.Ssh.User,
            ["ansible_ssh_private_key_file"] = lab.Ssh.IdentityFile,
            ["facts_cmd"] = PeerScript.For(m),
        });
        File.WriteAllText(inventory, JsonSerializer.Serialize(new { all = new { hosts } }));
        env = new Dictionary<string, string>
        {
            ["ANSIBLE_SSH_ARGS"] = $"-o ControlMaster=auto -o ControlPersist=60s -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile={lab.Ssh.KnownHostsFile}",
            ["ANSIBLE_SSH_CONTROL_PATH_DIR"] = Path.Combine(dir, "cp"),
            ["ANSIBLE_PIPELINING"] = "True",
            ["ANSIBLE_PYTHON_INTERPRETER"] = "/usr/bin/python3",
            ["ANSIBLE_LOCAL_TEMP"] = Path.Combine(dir, "tmp"),
            ["ANSIBLE_HOME"] = Path.Combine(dir, "home"),
            ["ANSIBLE_NOCOLOR"] = "1",
            ["ANSIBLE_DEPRECATION_WARNINGS"] = "False",
            ["ANSIBLE_INVENTORY_ENABLED"] = "yaml",
        };
    }

    public async Task<List<double>> RunAsync(int runs, bool cold)
    {
        var samples = new List<double>();
        if (!cold)
        {
            await OnceAsync(); // opens the control masters; not counted
        }

        for (var i = 0; i < runs; i++)
        {
            if (cold)
            {
                await EndControlMastersAsync();
            }

            samples.Add(await Stats.TimeAsync(OnceAsync));
        }

        return samples;
    }

    private async Task OnceAsync()
    {
        var output = await Proc.RunAsync("/usr/bin/ansible", ["all", "-i", inventory, "-f", "10", "-m", "shell", "-a", "{{ facts_cmd }}"], env);
        foreach (var m in masters)
        {
            if (!output.Contains($"{m.Name} | CHANGED", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"ansible did not report {m.Name}: {output}");
            }
        }
    }

    private async Task EndControlMastersAsync()
    {
        var cp = Path.Combine(dir, "cp");
        if (!Directory.Exists(cp))
        {
            return;
        }

        foreach (var socket in Directory.GetFiles(cp))
        {
            try
            {
                await Proc.RunAsync(LabSsh.SshBin, ["-o", "ControlPath=" + socket, "-O", "exit", "unused"], timeout: TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException)
            {
                // Already gone: the socket outlived its master.
            }

            File.Delete(socket);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await EndControlMastersAsync();
        Directory.Delete(dir, recursive: true);
    }
}
