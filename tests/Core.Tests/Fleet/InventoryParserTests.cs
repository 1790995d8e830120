using System.Text.Json;
using System.Text.Json.Nodes;
using Wrangler.Core.Fleet;

namespace Wrangler.Core.Tests.Fleet;

public sealed class InventoryParserTests
{
    private static string Sample => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fleet", "Samples", "production-masters-sample.json"));

    private static string Entry(Action<JsonObject>? edit = null, int index = 0)
    {
        var array = JsonNode.Parse(Sample)!.AsArray();
        var entry = array[index]!.AsObject();
        edit?.Invoke(entry);
        return new JsonArray(entry.DeepClone()).ToJsonString();
    }

    private static InventoryProblem SingleProblem(string json)
    {
        var result = InventoryParser.Parse(json);
        Assert.Empty(result.Masters);
        return Assert.Single(result.Problems);
    }

    [Fact]
    public void Mozilla_style_file_with_null_fields_loads()
    {
        var result = InventoryParser.Parse(Sample);

        Assert.Empty(result.Problems);
        Assert.Equal(3, result.Masters.Count);
        var bm01 = result.Masters[0];
        Assert.Equal("bm01-build1", bm01.Name);
        Assert.Equal(MasterRole.Build, bm01.Role);
        Assert.Equal("/builds/buildbot/build1/master", bm01.MasterDir);
        Assert.Equal(9001, bm01.PbPort);
        Assert.Equal(new Uri("http://buildbot-master01.build.scl3.mozilla.com:8001/api/v2"), bm01.ApiUrl);
        Assert.Equal(
            [
                new RepoCheckout("buildbotcustom", "/builds/buildbot/build1/buildbotcustom", "production-0.8"),
                new RepoCheckout("buildbot-configs", "/builds/buildbot/build1/buildbot-configs", "production"),
                new RepoCheckout("tools", "/builds/buildbot/build1/tools", "default"),
            ],
            bm01.Repos);
        Assert.Equal(MasterInfo.DefaultRebootCommand, bm01.RebootCommand);
        Assert.Null(bm01.SshLoginPort); // ssh_port is the manhole, not ours
        Assert.True(bm01.Extra.ContainsKey("db_name"));
        Assert.Equal(JsonValueKind.Null, bm01.Extra["limit_fx_platforms"].ValueKind);

        Assert.False(result.Masters[1].Enabled);
        Assert.Equal("10.134.48.236", result.Masters[1].IpAddress);
        Assert.Null(result.Masters[2].PbPort);
        Assert.Equal(MasterRole.Scheduler, result.Masters[2].Role);
    }

    [Fact]
    public void Buckets_follow_the_name_and_cloud_datacentres()
    {
        var masters = InventoryParser.Parse(Sample).Masters;

        Assert.Equal("build1", masters[0].Bucket);
        Assert.Equal("tests1-linux32-aws-us-east-1", masters[1].Bucket);
        Assert.Equal("tests_scheduler", masters[2].Bucket);
        Assert.Equal("tests1-linux32", BucketRules.BucketOf("bm01-tests1-linux32", "scl1"));
        Assert.Equal("x-gcp-us1", BucketRules.BucketOf("bm9-x", "gcp-us1"));
        Assert.Equal("solo", BucketRules.BucketOf("solo", null));
    }

    [Theory]
    [InlineData("bm01; rm -rf /")]
    [InlineData("bm01$(reboot)")]
    [InlineData("bm01`id`")]
    [InlineData("-bm01")]
    [InlineData("bm01\nbm02")]
    [InlineData("")]
    public void Names_that_could_break_a_shell_are_refused(string name)
    {
        var problem = SingleProblem(Entry(e => e["name"] = name));

        Assert.Equal("name", problem.Field);
        Assert.Equal(0, problem.Index);
        Assert.Contains("refused", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_basedir_with_a_newline_is_refused_with_a_clear_message()
    {
        var problem = SingleProblem(Entry(e => e["basedir"] = "/builds/buildbot/build1\n/tmp/evil"));

        Assert.Equal("basedir", problem.Field);
        Assert.Equal("bm01-build1", problem.Name);
        Assert.Contains("newlines and control characters are not allowed", problem.Message, StringComparison.Ordinal);
        Assert.Contains("\\n", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("master_dir", "/builds/a b")]
    [InlineData("master_dir", "/builds/$HOME")]
    [InlineData("master_dir", "/builds/x;reboot")]
    [InlineData("master_dir", "/builds/'x'")]
    [InlineData("master_dir", "/builds/x|y")]
    [InlineData("master_dir", "/builds/*")]
    [InlineData("master_dir", "~/master")]
    [InlineData("master_dir", "relative/master")]
    [InlineData("master_dir", "/builds/../etc")]
    [InlineData("bbconfigs_dir", "/builds/x&y")]
    [InlineData("buildbot_bin", "/usr/bin/buildbot --foo")]
    [InlineData("tools_branch", "-rf")]
    [InlineData("tools_branch", "default;id")]
    [InlineData("hostname", "host name")]
    [InlineData("hostname", "-oProxyCommand=x")]
    public void Unsafe_values_are_refused(string field, string value)
    {
        var problem = SingleProblem(Entry(e => e[field] = value));

        Assert.Equal(field, problem.Field);
    }

    [Fact]
    public void Safe_path_characters_are_accepted()
    {
        var result = InventoryParser.Parse(Entry(e => e["master_dir"] = "/builds/bb_1/a.b-c+d@e:f/master"));

        Assert.Empty(result.Problems);
    }

    [Fact]
    public void Every_problem_is_listed_and_the_whole_file_is_refused()
    {
        var array = JsonNode.Parse(Sample)!.AsArray();
        array[0]!["http_port"] = 70000;
        array[0]!["role"] = "builder";
        array[1]!.AsObject().Remove("hostname");
        array[2]!["name"] = "bm01-build1";
        array.Add(JsonValue.Create(42));

        var result = InventoryParser.Parse(array.ToJsonString());

        Assert.Empty(result.Masters);
        Assert.Contains(result.Problems, p => p is { Index: 0, Field: "http_port" } && p.Message.Contains("70000", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p is { Index: 0, Field: "role" });
        Assert.Contains(result.Problems, p => p is { Index: 1, Field: "hostname", Message: "is required" });
        Assert.Contains(result.Problems, p => p.Field == "name" && p.Message.Contains("duplicate", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p is { Index: 3, Field: "(entry)" });
    }

    [Theory]
    [InlineData("{}", "expected a JSON array")]
    [InlineData("[", "not valid JSON")]
    public void Bad_shapes_are_refused(string json, string message)
    {
        var problem = SingleProblem(json);

        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_types_are_refused()
    {
        var result = InventoryParser.Parse(Entry(e =>
        {
            e["http_port"] = "8001";
            e["enabled"] = "yes";
            e["basedir"] = 5;
        }));

        Assert.Equal(["basedir", "enabled", "http_port"], result.Problems.Select(p => p.Field).Order().ToArray());
    }

    [Fact]
    public void Wrangler_fields_are_read()
    {
        var result = InventoryParser.Parse(Entry(e =>
        {
            e["ssh_user"] = "cltbld";
            e["ssh_login_port"] = 2222;
            e["api_url"] = "https://bm01.example/api/v2";
            e["reboot_command"] = new JsonArray("sudo", "/usr/local/bin/safe-reboot", "--why=wrangler reboot");
            e["repos"] = new JsonArray(new JsonObject { ["name"] = "configs", ["dir"] = "/srv/configs", ["branch"] = "main" });
        }));

        var m = Assert.Single(result.Masters);
        Assert.Equal("cltbld", m.SshUser);
        Assert.Equal(2222, m.SshLoginPort);
        Assert.Equal(new Uri("https://bm01.example/api/v2"), m.ApiUrl);
        Assert.Equal(["sudo", "/usr/local/bin/safe-reboot", "--why=wrangler reboot"], m.RebootCommand);
        Assert.Equal([new RepoCheckout("configs", "/srv/configs", "main")], m.Repos);
    }

    [Fact]
    public void Reboot_command_must_be_an_argv_without_control_characters()
    {
        Assert.Equal("reboot_command", SingleProblem(Entry(e => e["reboot_command"] = "sudo reboot")).Field);
        Assert.Equal("reboot_command", SingleProblem(Entry(e => e["reboot_command"] = new JsonArray("sudo", "reboot\nid"))).Field);
    }

    [Fact]
    public void A_repo_dir_without_branch_is_a_problem()
    {
        var problem = SingleProblem(Entry(e => e["tools_branch"] = null));

        Assert.Equal("tools_branch", problem.Field);
    }

    [Fact]
    public void Problems_read_well()
    {
        var problem = new InventoryProblem(2, "bm01", "basedir", "must be an absolute path");

        Assert.Equal("entry 2 (bm01), basedir: must be an absolute path", problem.ToString());
    }
}
