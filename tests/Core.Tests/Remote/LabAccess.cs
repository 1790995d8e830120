using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wrangler.Core.Fleet;
using Wrangler.Core.Remote;
using Wrangler.Lab;

namespace Wrangler.Core.Tests.Remote;

/// <summary>
/// Wrangler's real remote stack pointed at a lab, wired the way the app wires it: the lab's settings file and
/// inventory through <see cref="RemoteServiceCollectionExtensions.AddWranglerRemote"/> and <see cref="InventoryParser"/>.
/// <paramref name="transport"/> is <c>Wrangler:Ssh:Client</c>: every remote lab test runs on both (the shared contract).
/// Each instance has its own sessions (and, for OpenSSH, its own control directory) and closes them when disposed.
/// </summary>
internal sealed class LabAccess : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly string controlDir;

    private LabAccess(LabFleet lab, string transport, Action<SshOptions>? configure)
    {
        Lab = lab;
        controlDir = Path.Combine("/tmp", "wr-" + Guid.NewGuid().ToString("N")[..8]);
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(lab.SettingsPath)
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Wrangler:Ssh:ControlDirectory"] = controlDir,
                ["Wrangler:Ssh:ControlPersist"] = "00:01:00",
                // Generous: these tests are not about the connect timeout, and on a loaded 2-core CI machine the lab sshd
                // took over 5 s to finish a handshake (SSH.NET "Session operation has timed out" in fresh-clone runs).
                ["Wrangler:Ssh:ConnectTimeout"] = "00:00:30",
                ["Wrangler:Ssh:Client"] = transport,
            })
            .Build();
        var collection = new ServiceCollection();
        collection.AddWranglerRemote(configuration);
        if (configure is not null)
        {
            collection.PostConfigure(configure);
        }

        services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Runner = services.GetRequiredService<ISshRunner>();
        Assert.Equal(transport, Runner is OpenSshRunner ? "openssh" : "sshnet");
        Fleet = services.GetRequiredService<IFleetAccess>();

        var parsed = InventoryParser.Parse(File.ReadAllText(lab.InventoryPath));
        Assert.True(parsed.IsValid, string.Join("\n", parsed.Problems));
        Masters = parsed.Masters;
    }

    public LabFleet Lab { get; }

    /// <summary>Both transports, for <c>[Theory, MemberData(nameof(LabAccess.Transports), MemberType = typeof(LabAccess))]</c>.</summary>
    public static TheoryData<string> Transports => new() { "sshnet", "openssh" };

    public ISshRunner Runner { get; }

    public string ControlDirectory => controlDir;

    public IFleetAccess Fleet { get; }

    public IReadOnlyList<MasterInfo> Masters { get; }

    public SshTarget Target => new(Lab.Ssh.Host, Lab.Ssh.Port, Lab.Ssh.User);

    public static LabAccess For(LabFleet lab, string transport = "sshnet", Action<SshOptions>? configure = null) => new(lab, transport, configure);

    public MasterInfo Master(LabMaster m) => Masters.Single(x => x.Name == m.Name);

    public async ValueTask DisposeAsync()
    {
        // Disposing the container disposes the transport: sessions closed, OpenSSH masters told to exit.
        await services.DisposeAsync();
        try
        {
            Directory.Delete(controlDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
