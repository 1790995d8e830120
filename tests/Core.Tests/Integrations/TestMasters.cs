using Wrangler.Core.Fleet;

namespace Wrangler.Core.Tests.Integrations;

internal static class TestMasters
{
    public static MasterInfo Master(string name, string hostname = "127.0.0.1") => new()
    {
        Name = name,
        Hostname = hostname,
        Role = MasterRole.Tests,
        Basedir = "/builds/buildbot/" + name,
        MasterDir = "/builds/buildbot/" + name + "/master",
        HttpPort = 8001,
        BuildbotBin = "/usr/bin/buildbot",
        ApiUrl = new Uri("http://127.0.0.1:8001/api/v2"),
    };
}
