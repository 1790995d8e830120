namespace Wrangler.Core.Fleet;

/// <summary>One repository checkout on a master's host, e.g. buildbot-configs at /builds/.../buildbot-configs on "production".</summary>
public sealed record RepoCheckout(string Name, string Dir, string Branch)
{
    public const string BuildbotCustom = "buildbotcustom";
    public const string BuildbotConfigs = "buildbot-configs";
    public const string Tools = "tools";
}
