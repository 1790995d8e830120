using System.Text.Json;

namespace Wrangler.Core.Fleet;

/// <summary>
/// One master as the inventory describes it. Every string here has passed <see cref="InventoryParser"/>'s
/// shell-safety checks, which is what lets Remote build commands from these values.
/// </summary>
public sealed record MasterInfo
{
    /// <summary>Reboot command used when the inventory entry has no <c>reboot_command</c>.</summary>
    public static readonly IReadOnlyList<string> DefaultRebootCommand = ["sudo", "-n", "/sbin/reboot"];

    public required string Name { get; init; }
    public required string Hostname { get; init; }
    public bool Enabled { get; init; } = true;
    public string Environment { get; init; } = "production";
    public required MasterRole Role { get; init; }
    public string Datacentre { get; init; } = "";
    public required string Basedir { get; init; }
    public required string MasterDir { get; init; }
    public required int HttpPort { get; init; }
    public int? PbPort { get; init; }
    public required string BuildbotBin { get; init; }
    public string? IpAddress { get; init; }
    public IReadOnlyList<RepoCheckout> Repos { get; init; } = [];
    public string? SshUser { get; init; }
    public int? SshLoginPort { get; init; }
    public required Uri ApiUrl { get; init; }
    public IReadOnlyList<string> RebootCommand { get; init; } = DefaultRebootCommand;

    /// <summary>Fields the inventory had that Wrangler does not read (db_name, limit_fx_platforms, ...), kept as they were.</summary>
    public IReadOnlyDictionary<string, JsonElement> Extra { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The masters that may be restarted together are counted per bucket; see <see cref="BucketRules"/>.</summary>
    public string Bucket => BucketRules.BucketOf(Name, Datacentre);

    public string TwistdPidPath => MasterDir + "/twistd.pid";
    public string TwistdLogPath => MasterDir + "/twistd.log";
    public string ReconfigLockPath => MasterDir + "/reconfig.lock";
}
