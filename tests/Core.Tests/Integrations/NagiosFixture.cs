using Wrangler.Lab;

namespace Wrangler.Core.Tests.Integrations;

/// <summary>One real Nagios 4 (no Buildbot) shared by the Nagios tests; each test uses its own host.</summary>
public sealed class NagiosFixture : IAsyncLifetime
{
    public static readonly string[] HostNames = ["bm01-tests1-linux32", "bm02-tests1-linux32", "bm03-build1", "bm04-try1", "bm05-build1"];

    private LabNagios? nagios;

    public LabNagios Nagios => nagios ?? throw new InvalidOperationException("Nagios did not start");

    public async Task InitializeAsync() => nagios = await LabNagios.StartAsync(HostNames);

    public async Task DisposeAsync()
    {
        if (nagios is not null)
        {
            await nagios.DisposeAsync();
        }
    }
}
