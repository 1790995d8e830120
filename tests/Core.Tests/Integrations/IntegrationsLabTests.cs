using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Fleet;
using Wrangler.Core.Integrations;
using Wrangler.Core.Remote;
using Wrangler.Lab;
using Xunit.Abstractions;

namespace Wrangler.Core.Tests.Integrations;

/// <summary>
/// One 1-master lab with Nagios and the allocator stand-in, wired from the lab's own settings file the way the app
/// is: the command file written over the lab's sshd (<c>Wrangler:Nagios:SshHost</c>), the allocator over HTTP.
/// </summary>
public sealed class IntegrationsLabFixture : IAsyncLifetime
{
    private string controlDir = null!;

    public LabFleet Lab { get; private set; } = null!;

    public ServiceProvider Services { get; private set; } = null!;

    public SshTarget Target => new(Lab.Ssh.Host, Lab.Ssh.Port, Lab.Ssh.User);

    public async Task InitializeAsync()
    {
        Lab = await LabFleet.StartAsync(new LabOptions { Masters = 1, WorkersPerMaster = 1, WithNagios = true, WithAllocator = true });
        controlDir = Path.Combine("/tmp", "wr-" + Guid.NewGuid().ToString("N")[..8]);
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Lab.SettingsPath)
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Wrangler:Nagios:SshHost"] = $"{Lab.Ssh.User}@{Lab.Ssh.Host}:{Lab.Ssh.Port}",
                ["Wrangler:Ssh:ControlDirectory"] = controlDir,
                // Generous: these tests are not about the connect timeout, and on a loaded 2-core CI machine the lab sshd
                // took over 5 s to finish a handshake (SSH.NET "Session operation has timed out" in fresh-clone runs).
                ["Wrangler:Ssh:ConnectTimeout"] = "00:00:30",
            })
            .Build();
        Services = new ServiceCollection()
            .AddWranglerRemote(configuration)
            .AddWranglerIntegrations(configuration)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public async Task DisposeAsync()
    {
        if (Services is not null)
        {
            await Services.DisposeAsync();
        }

        if (Lab is not null)
        {
            await Lab.DisposeAsync();
        }

        if (Directory.Exists(controlDir))
        {
            Directory.Delete(controlDir, recursive: true);
        }
    }
}

public sealed class IntegrationsLabTests(IntegrationsLabFixture fixture, ITestOutputHelper output) : IClassFixture<IntegrationsLabFixture>
{
    private LabFleet Lab => fixture.Lab;

    [Fact]
    public async Task Disable_and_downtime_then_enable_and_end_for_a_lab_master()
    {
        output.WriteLine($"lab up in {Lab.StartupTime.TotalSeconds:0.0} s; nagios4 up in {Lab.Nagios!.StartupTime.TotalSeconds:0.00} s");
        var parsed = InventoryParser.Parse(await File.ReadAllTextAsync(Lab.InventoryPath));
        var master = Assert.Single(parsed.Masters);
        var allocator = fixture.Services.GetRequiredService<IAllocator>();
        var downtime = fixture.Services.GetRequiredService<IMonitoringDowntime>();
        Assert.IsType<SshNagiosCommandFile>(Assert.IsType<NagiosDowntime>(downtime).Sink);

        await allocator.DisableAsync(master, "campaign 1", CancellationToken.None);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await downtime.ScheduleAsync(master, TimeSpan.FromHours(1), "alice", "campaign 1: restart", CancellationToken.None);
        await Lab.Nagios.WaitForDowntimesAsync(d => d.Count(x => x.HostName == master.Name) == 2, TimeSpan.FromSeconds(10));
        output.WriteLine($"downtime visible in status.dat {sw.ElapsedMilliseconds} ms after the ssh write started");

        await allocator.EnableAsync(master, "campaign 1 done", CancellationToken.None);
        await downtime.EndAsync(master, "alice", null, CancellationToken.None);
        await Lab.Nagios.WaitForDowntimesAsync(d => d.Count == 0, TimeSpan.FromSeconds(10));

        Assert.Equal([(master.Name, false), (master.Name, true)], Lab.Allocator!.Changes.Select(c => (c.Master, c.Enabled)));
        Assert.Contains(Lab.Nagios.ExternalCommandsLogged(), l => l.StartsWith("DEL_DOWNTIME_BY_HOST_NAME;" + master.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_remote_fifo_with_no_reader_times_out_with_a_clear_error()
    {
        var fifo = Path.Combine(Lab.Root, "dead.cmd");
        await LabProcess.RunCheckedAsync("/usr/bin/mkfifo", [fifo]);
        var sink = new SshNagiosCommandFile(fixture.Services.GetRequiredService<ISshRunner>(), fixture.Target, fifo, TimeSpan.FromSeconds(2));

        var e = await Assert.ThrowsAsync<IntegrationException>(() => sink.WriteAsync(["[1] X"], CancellationToken.None));

        Assert.Contains("Nagios is not reading its command file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_settings_file_names_the_integrations()
    {
        var text = File.ReadAllText(Lab.SettingsPath);
        Assert.Contains(Lab.Nagios!.CommandFile, text, StringComparison.Ordinal);
        Assert.Contains(Lab.Allocator!.Url, text, StringComparison.Ordinal);
        Assert.Contains("\"HostName\": \"{name}\"", text, StringComparison.Ordinal);
        Assert.Contains(Lab.Pids, p => p.Kind == "nagios" && p.Pid == Lab.Nagios.Pid);
    }
}
