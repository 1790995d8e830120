using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wrangler.Core.Integrations;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Tests.Integrations;

public sealed class IntegrationsRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddWranglerIntegrations(configuration).BuildServiceProvider();
    }

    [Fact]
    public void Nothing_configured_gives_the_do_nothing_integrations()
    {
        using var sp = Build([]);

        Assert.IsType<NoAllocator>(sp.GetRequiredService<IAllocator>());
        Assert.IsType<NoDowntime>(sp.GetRequiredService<IMonitoringDowntime>());
        Assert.IsType<NoNotifier>(sp.GetRequiredService<INotifier>());
        Assert.False(sp.GetRequiredService<IAllocator>().IsConfigured);
        Assert.False(sp.GetRequiredService<IMonitoringDowntime>().IsConfigured);
    }

    [Fact]
    public void Configured_keys_give_the_real_integrations()
    {
        using var sp = Build(new()
        {
            ["Wrangler:Allocator:Url"] = "http://allocator.example:8080/api",
            ["Wrangler:Nagios:CommandFile"] = "/tmp/nagios.cmd",
            ["Wrangler:Notifications:WebhookUrl"] = "https://chat.example/hooks/x",
        });

        var allocator = Assert.IsType<HttpAllocator>(sp.GetRequiredService<IAllocator>());
        Assert.Equal("http://allocator.example:8080/api/", allocator.BaseUrl.ToString());
        var nagios = Assert.IsType<NagiosDowntime>(sp.GetRequiredService<IMonitoringDowntime>());
        Assert.IsType<LocalNagiosCommandFile>(nagios.Sink);
        Assert.IsType<WebhookNotifier>(sp.GetRequiredService<INotifier>());
    }

    [Theory]
    [InlineData("Wrangler:Allocator:Url", "allocator.example/api", "absolute http(s) URL")]
    [InlineData("Wrangler:Allocator:Url", "ftp://allocator.example/", "absolute http(s) URL")]
    [InlineData("Wrangler:Notifications:WebhookUrl", "/hooks", "absolute http(s) URL")]
    [InlineData("Wrangler:Nagios:CommandFile", "/no/such/dir/nagios.cmd", "does not exist")]
    [InlineData("Wrangler:Nagios:CommandFile", "nagios.cmd", "absolute path")]
    public void Bad_settings_fail_validation(string key, string value, string message)
    {
        using var sp = Build(new() { [key] = value });
        var section = key[..key.LastIndexOf(':')];

        var e = Assert.Throws<OptionsValidationException>(() => section switch
        {
            AllocatorOptions.SectionName => (object)sp.GetRequiredService<IOptions<AllocatorOptions>>().Value,
            NagiosOptions.SectionName => sp.GetRequiredService<IOptions<NagiosOptions>>().Value,
            _ => sp.GetRequiredService<IOptions<NotificationOptions>>().Value,
        });

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_remote_command_file_needs_no_local_directory()
    {
        using var sp = Build(new()
        {
            ["Wrangler:Nagios:CommandFile"] = "/var/lib/nagios4/rw/nagios.cmd",
            ["Wrangler:Nagios:SshHost"] = "nagios@monitor1.example:2222",
        });

        Assert.Equal("/var/lib/nagios4/rw/nagios.cmd", sp.GetRequiredService<IOptions<NagiosOptions>>().Value.CommandFile);
    }

    [Theory]
    [InlineData("monitor1", null, "monitor1", null)]
    [InlineData("nagios@monitor1.example:2222", "nagios", "monitor1.example", 2222)]
    [InlineData("127.0.0.1:22", null, "127.0.0.1", 22)]
    public void SshHost_is_parsed(string value, string? user, string host, int? port) =>
        Assert.Equal(new SshTarget(host, port, user), IntegrationsServiceCollectionExtensions.ParseSshHost(value));

    [Theory]
    [InlineData("-oProxyCommand=x")]
    [InlineData("host:99999")]
    [InlineData("a b")]
    [InlineData("@host")]
    public void Bad_SshHost_is_refused(string value) =>
        Assert.Throws<FormatException>(() => IntegrationsServiceCollectionExtensions.ParseSshHost(value));
}
