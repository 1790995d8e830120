using System.Net;
using System.Text.Json;

namespace Wrangler.Core.Fleet;

public sealed record InventoryProblem(int Index, string? Name, string Field, string Message)
{
    public override string ToString() =>
        Index < 0 ? $"{Field}: {Message}" : $"entry {Index} ({Name ?? "unnamed"}), {Field}: {Message}";
}

public sealed record InventoryParseResult(IReadOnlyList<MasterInfo> Masters, IReadOnlyList<InventoryProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;
}

/// <summary>
/// Reads an inventory in the format of Mozilla's production-masters.json (a JSON array of masters).
/// The file is accepted or refused as a whole: one bad entry refuses it, with every problem listed,
/// because a partial fleet would silently drop masters from campaigns.
/// <para>Wrangler-only optional fields: <c>ssh_user</c>, <c>ssh_login_port</c>, <c>api_url</c>,
/// <c>repos</c> (<c>[{name,dir,branch}]</c>, replaces the bbcustom/bbconfigs/tools triples) and
/// <c>reboot_command</c>, a JSON array of argv such as <c>["sudo","-n","/sbin/reboot"]</c>
/// (the default) — sites reboot differently, so it is per master.</para>
/// <para><c>ssh_port</c> is Mozilla's manhole port and is ignored; <c>null</c> in an optional field
/// means absent; unknown fields are kept in <see cref="MasterInfo.Extra"/>.</para>
/// </summary>
public static class InventoryParser
{
    private static readonly HashSet<string> KnownFields =
    [
        "name", "hostname", "enabled", "environment", "role", "datacentre", "basedir", "master_dir",
        "http_port", "pb_port", "buildbot_bin", "ip_address", "ssh_user", "ssh_login_port", "api_url",
        "repos", "reboot_command",
        "bbcustom_dir", "bbcustom_branch", "bbconfigs_dir", "bbconfigs_branch", "tools_dir", "tools_branch",
    ];

    private static readonly (string Name, string DirField, string BranchField)[] Triples =
    [
        (RepoCheckout.BuildbotCustom, "bbcustom_dir", "bbcustom_branch"),
        (RepoCheckout.BuildbotConfigs, "bbconfigs_dir", "bbconfigs_branch"),
        (RepoCheckout.Tools, "tools_dir", "tools_branch"),
    ];

    public static InventoryParseResult Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            return Refused([new InventoryProblem(-1, null, "(file)", $"not valid JSON: {ex.Message}")]);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return Refused([new InventoryProblem(-1, null, "(file)", $"expected a JSON array of masters, found {Describe(doc.RootElement.ValueKind)}")]);
            }

            var problems = new List<InventoryProblem>();
            var masters = new List<(int Index, MasterInfo Master)>();
            var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            var index = 0;
            foreach (var element in doc.RootElement.EnumerateArray())
            {
                var reader = new EntryReader(element, index, problems);
                var master = reader.Read();
                if (master is not null)
                {
                    masters.Add((index, master));
                }

                // Checked on every named entry, valid or not, so a duplicate is reported alongside other problems.
                if (reader.Name is { } name && !names.TryAdd(name, index))
                {
                    problems.Add(new InventoryProblem(index, name, "name", $"duplicate name; entry {names[name]} already uses it"));
                }

                index++;
            }

            CheckUniqueness(masters, problems);
            return problems.Count > 0 ? Refused(problems) : new InventoryParseResult(masters.Select(m => m.Master).ToList(), []);
        }
    }

    private static void CheckUniqueness(List<(int Index, MasterInfo Master)> masters, List<InventoryProblem> problems)
    {
        var seenHttp = new Dictionary<(string, int), string>();
        var seenDirs = new Dictionary<(string, string), string>();
        foreach (var (i, m) in masters)
        {
            var host = m.Hostname.ToLowerInvariant();
            if (!seenHttp.TryAdd((host, m.HttpPort), m.Name))
            {
                problems.Add(new InventoryProblem(i, m.Name, "http_port", $"{m.HttpPort} on {m.Hostname} is already used by {seenHttp[(host, m.HttpPort)]}"));
            }

            if (!seenDirs.TryAdd((host, m.MasterDir), m.Name))
            {
                problems.Add(new InventoryProblem(i, m.Name, "master_dir", $"{m.MasterDir} on {m.Hostname} is already used by {seenDirs[(host, m.MasterDir)]}"));
            }
        }
    }

    private static InventoryParseResult Refused(IReadOnlyList<InventoryProblem> problems) => new([], problems);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    /// <summary>Reads one entry, adding a problem for every bad field rather than stopping at the first.</summary>
    private sealed class EntryReader(JsonElement element, int index, List<InventoryProblem> problems)
    {
        private string? name;
        private bool failed;

        public string? Name => name;

        public MasterInfo? Read()
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                Problem("(entry)", $"expected an object, found {Describe(element.ValueKind)}");
                return null;
            }

            name = String("name", required: true, ShellSafety.IsSafeName,
                "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
            var hostname = String("hostname", required: true, ShellSafety.IsSafeHostname, "must be a DNS hostname or IPv4 address");
            var enabled = Bool("enabled") ?? true;
            var environment = String("environment", required: false, ShellSafety.IsSafeName, "must be a simple name") ?? "production";
            var role = Role();
            var datacentre = String("datacentre", required: false, ShellSafety.IsSafeName, "must be a simple name") ?? "";
            var basedir = Path("basedir", required: true);
            var masterDir = Path("master_dir", required: true);
            var httpPort = Port("http_port", required: true);
            var pbPort = Port("pb_port", required: false);
            var buildbotBin = Path("buildbot_bin", required: false) ?? (basedir is null ? null : basedir.TrimEnd('/') + "/bin/buildbot");
            var ip = String("ip_address", required: false, v => IPAddress.TryParse(v, out _), "must be an IP address");
            var sshUser = String("ssh_user", required: false, ShellSafety.IsSafeUser, "must be a plain user name");
            var sshPort = Port("ssh_login_port", required: false);
            var repos = Repos();
            var reboot = RebootCommand();
            var apiUrl = ApiUrl(hostname, httpPort);

            if (failed || name is null || hostname is null || role is null || basedir is null || masterDir is null
                || httpPort is null || buildbotBin is null || apiUrl is null)
            {
                return null;
            }

            return new MasterInfo
            {
                Name = name,
                Hostname = hostname,
                Enabled = enabled,
                Environment = environment,
                Role = role.Value,
                Datacentre = datacentre,
                Basedir = basedir,
                MasterDir = masterDir,
                HttpPort = httpPort.Value,
                PbPort = pbPort,
                BuildbotBin = buildbotBin,
                IpAddress = ip,
                SshUser = sshUser,
                SshLoginPort = sshPort,
                Repos = repos,
                RebootCommand = reboot ?? MasterInfo.DefaultRebootCommand,
                ApiUrl = apiUrl,
                Extra = element.EnumerateObject()
                    .Where(p => !KnownFields.Contains(p.Name))
                    .GroupBy(p => p.Name)
                    .ToDictionary(g => g.Key, g => g.Last().Value.Clone()),
            };
        }

        private void Problem(string field, string message)
        {
            failed = true;
            problems.Add(new InventoryProblem(index, name, field, message));
        }

        private JsonElement? Get(string field) =>
            element.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        private string? String(string field, bool required, Func<string, bool> valid, string rule)
        {
            var v = Get(field);
            if (v is null)
            {
                if (required)
                {
                    Problem(field, "is required");
                }

                return null;
            }

            if (v.Value.ValueKind != JsonValueKind.String)
            {
                Problem(field, $"must be a string, found {Describe(v.Value.ValueKind)}");
                return null;
            }

            var s = v.Value.GetString()!;
            if (!valid(s))
            {
                Problem(field, $"{Show(s)} is refused: {rule}");
                return null;
            }

            return s;
        }

        private string? Path(string field, bool required) => Path(field, Get(field), required);

        private string? Path(string field, JsonElement? v, bool required)
        {
            if (v is null)
            {
                if (required)
                {
                    Problem(field, "is required");
                }

                return null;
            }

            if (v.Value.ValueKind != JsonValueKind.String)
            {
                Problem(field, $"must be a string, found {Describe(v.Value.ValueKind)}");
                return null;
            }

            var s = v.Value.GetString()!;
            if (!ShellSafety.IsSafeAbsolutePath(s))
            {
                Problem(field, $"{Show(s)} is refused: {ShellSafety.DescribePathProblem(s)}");
                return null;
            }

            // A trailing slash would make "{dir}/twistd.pid" look odd but not wrong; normalise it away.
            return s.Length > 1 ? s.TrimEnd('/') : s;
        }

        private bool? Bool(string field)
        {
            var v = Get(field);
            if (v is null)
            {
                return null;
            }

            if (v.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                return v.Value.GetBoolean();
            }

            Problem(field, $"must be true or false, found {Describe(v.Value.ValueKind)}");
            return null;
        }

        private int? Port(string field, bool required)
        {
            var v = Get(field);
            if (v is null)
            {
                if (required)
                {
                    Problem(field, "is required");
                }

                return null;
            }

            if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetInt32(out var port))
            {
                Problem(field, $"must be an integer port, found {Describe(v.Value.ValueKind)} {Show(v.Value.GetRawText())}");
                return null;
            }

            if (port is < 1 or > 65535)
            {
                Problem(field, $"{port} is out of range 1-65535");
                return null;
            }

            return port;
        }

        private MasterRole? Role()
        {
            var s = String("role", required: true, _ => true, "");
            if (s is null)
            {
                return null;
            }

            if (Enum.TryParse<MasterRole>(s, ignoreCase: true, out var role) && !int.TryParse(s, out _))
            {
                return role;
            }

            Problem("role", $"{Show(s)} is not one of build, try, tests, scheduler");
            return null;
        }

        private IReadOnlyList<RepoCheckout> Repos()
        {
            var list = Get("repos");
            return list is null ? Triples.Select(Triple).OfType<RepoCheckout>().ToList() : RepoList(list.Value);
        }

        private RepoCheckout? Triple((string Name, string DirField, string BranchField) t)
        {
            var dir = Path(t.DirField, required: false);
            var branch = Branch(t.BranchField, Get(t.BranchField));
            if (dir is null)
            {
                return null;
            }

            if (branch is null)
            {
                if (Get(t.BranchField) is null)
                {
                    Problem(t.BranchField, $"is required when {t.DirField} is set");
                }

                return null;
            }

            return new RepoCheckout(t.Name, dir, branch);
        }

        private string? Branch(string field, JsonElement? v)
        {
            if (v is null)
            {
                return null;
            }

            if (v.Value.ValueKind != JsonValueKind.String)
            {
                Problem(field, $"must be a string, found {Describe(v.Value.ValueKind)}");
                return null;
            }

            var s = v.Value.GetString()!;
            if (!ShellSafety.IsSafeBranch(s))
            {
                Problem(field, $"{Show(s)} is refused: a branch is letters, digits and . _ + / @ : -, not starting with '-'");
                return null;
            }

            return s;
        }

        private List<RepoCheckout> RepoList(JsonElement list)
        {
            var repos = new List<RepoCheckout>();
            if (list.ValueKind != JsonValueKind.Array)
            {
                Problem("repos", $"must be an array of {{name, dir, branch}}, found {Describe(list.ValueKind)}");
                return repos;
            }

            var i = 0;
            foreach (var r in list.EnumerateArray())
            {
                var field = $"repos[{i++}]";
                if (r.ValueKind != JsonValueKind.Object)
                {
                    Problem(field, $"must be an object {{name, dir, branch}}, found {Describe(r.ValueKind)}");
                    continue;
                }

                string? repoName = null;
                if (r.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && ShellSafety.IsSafeName(n.GetString()!))
                {
                    repoName = n.GetString();
                }
                else
                {
                    Problem(field + ".name", "is required: a simple name such as buildbot-configs");
                }

                var dir = Path(field + ".dir", r.TryGetProperty("dir", out var d) && d.ValueKind != JsonValueKind.Null ? d : null, required: true);
                var branchValue = r.TryGetProperty("branch", out var b) && b.ValueKind != JsonValueKind.Null ? b : (JsonElement?)null;
                var branch = Branch(field + ".branch", branchValue);
                if (branchValue is null)
                {
                    Problem(field + ".branch", "is required");
                }

                if (repoName is not null && dir is not null && branch is not null)
                {
                    if (repos.Any(x => x.Name == repoName))
                    {
                        Problem(field + ".name", $"duplicate repository name {repoName}");
                    }

                    repos.Add(new RepoCheckout(repoName, dir, branch));
                }
            }

            return repos;
        }

        private List<string>? RebootCommand()
        {
            var v = Get("reboot_command");
            if (v is null)
            {
                return null;
            }

            if (v.Value.ValueKind != JsonValueKind.Array || v.Value.GetArrayLength() == 0
                || v.Value.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
            {
                Problem("reboot_command", "must be a non-empty JSON array of strings (an argv), e.g. [\"sudo\",\"-n\",\"/sbin/reboot\"]");
                return null;
            }

            var argv = v.Value.EnumerateArray().Select(a => a.GetString()!).ToList();
            var bad = argv.FirstOrDefault(a => !ShellSafety.IsSafeArgument(a));
            if (bad is not null)
            {
                Problem("reboot_command", $"argument {Show(bad)} is empty or contains a newline/control character");
                return null;
            }

            return argv;
        }

        private Uri? ApiUrl(string? hostname, int? httpPort)
        {
            var v = Get("api_url");
            if (v is null)
            {
                return hostname is null || httpPort is null ? null : new Uri($"http://{hostname}:{httpPort}/api/v2");
            }

            if (v.Value.ValueKind == JsonValueKind.String
                && Uri.TryCreate(v.Value.GetString(), UriKind.Absolute, out var uri)
                && uri.Scheme is "http" or "https")
            {
                return uri;
            }

            Problem("api_url", $"{Show(v.Value.GetRawText())} is not an absolute http(s) URL");
            return null;
        }

        /// <summary>Shows a refused value with control characters made visible, so "\n" is seen, not obeyed.</summary>
        private static string Show(string value)
        {
            var escaped = JsonSerializer.Serialize(value.Length > 80 ? value[..80] + "…" : value);
            return escaped;
        }
    }
}
