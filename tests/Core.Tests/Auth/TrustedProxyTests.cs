using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wrangler.Core.Auth;

namespace Wrangler.Core.Tests.Auth;

public sealed class TrustedProxyTests
{
    private static TrustedProxy Proxy(params string[] proxies) => new(Options.Create(new AuthOptions
    {
        TrustedProxy = new TrustedProxyOptions
        {
            Enabled = true,
            Proxies = [.. proxies],
            GroupRoles = new() { ["sheriffs"] = "viewer", ["buildduty"] = "Operator", ["releng"] = "admin" },
        },
    }));

    [Theory]
    [InlineData("10.0.0.5", true)]
    [InlineData("::ffff:10.0.0.5", true)]
    [InlineData("10.0.0.6", false)]
    [InlineData("192.168.7.200", true)]
    [InlineData("192.168.8.1", false)]
    [InlineData("fd00::1", true)]
    [InlineData("127.0.0.1", false)]
    public void Only_configured_addresses_and_networks_are_trusted(string address, bool trusted) =>
        Assert.Equal(trusted, Proxy("10.0.0.5", "192.168.7.0/24", "fd00::/8").IsTrusted(IPAddress.Parse(address)));

    [Theory]
    [InlineData("sheriffs", Role.Viewer)]
    [InlineData("sheriffs, buildduty", Role.Operator)]
    [InlineData("BUILDDUTY,releng,sheriffs", Role.Admin)]
    [InlineData("marketing", null)]
    [InlineData("", null)]
    public void A_user_gets_the_highest_role_any_of_their_groups_maps_to(string groups, Role? role)
    {
        var id = Proxy("10.0.0.5").Read(" alice ", [groups]);
        Assert.NotNull(id);
        Assert.Equal("alice", id.User);
        Assert.Equal(role, id.Role);
    }

    [Fact]
    public void Groups_from_several_header_values_count_and_implausible_names_are_no_user()
    {
        var proxy = Proxy("10.0.0.5");
        Assert.Equal(Role.Operator, proxy.Read("bob", ["sheriffs", "buildduty"])!.Role);
        Assert.Null(proxy.Read(null, ["releng"]));
        Assert.Null(proxy.Read("  ", ["releng"]));
        Assert.Null(proxy.Read("eve\nadmin", ["releng"]));
        Assert.Null(proxy.Read(new string('x', 101), ["releng"]));
    }

    [Theory]
    [InlineData("Enabled=true", "needs Wrangler:Auth:TrustedProxy:Proxies")]
    [InlineData("Proxies:0=not-an-address", "IP addresses or CIDR networks")]
    [InlineData("Proxies:0=10.0.0.1/8", "IP addresses or CIDR networks")]
    [InlineData("GroupRoles:ops=root", "viewer, operator or admin")]
    public void Bad_configuration_is_refused_at_start_with_the_key_named(string setting, string message)
    {
        var (key, value) = (setting[..setting.IndexOf('=')], setting[(setting.IndexOf('=') + 1)..]);
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"Wrangler:Auth:TrustedProxy:{key}"] = value }).Build();
        using var sp = new ServiceCollection().AddWranglerAuth(config).BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<AuthOptions>>().Value);
        Assert.Contains(message, e.Message);
    }
}
