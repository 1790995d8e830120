using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Wrangler.Core.Auth;

namespace Wrangler.Dashboard.Tests.Hardening;

/// <summary>
/// Every operation /openapi/v1.json lists, driven the way a careless script or a prober would: bodies that are not
/// JSON, nested too deep, null or empty; each field of each body with the wrong type, null, a huge value, or
/// missing; query and path values of the wrong type or far too long; a wrong Content-Type. No answer may be a 5xx,
/// no 4xx may be empty, and each 400 about a field must name it (docs/hardening.md).
/// </summary>
public sealed class MalformedRequestTests : IAsyncLifetime
{
    private AppHost host = null!;
    private string master = "";
    private long campaign;
    private long schedule;
    private long token;
    private HttpClient reporter = null!;
    private int unique;

    public async Task InitializeAsync()
    {
        host = await AppHost.StartAsync("--Wrangler:Demo:Seed=5");
        master = (await host.Client.GetFromJsonAsync<JsonElement[]>("/api/v1/masters"))![0].GetProperty("name").GetString()!;
        using (var c = await host.Client.PostAsJsonAsync("/api/v1/campaigns", new { kind = "gracefulRestart", selector = new { names = new[] { master } } }))
        {
            campaign = (await c.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        }

        using (var s = await host.Client.PostAsJsonAsync("/api/v1/schedules", Base("ScheduleSpec")))
        {
            Assert.Equal(HttpStatusCode.Created, s.StatusCode);
            schedule = (await s.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        }

        token = (await host.CreateTokenAsync("malformed-target", Role.Viewer)).Id;
        // Cycle reports take a reporter token and nothing else (docs/runner.md): an admin would only see 403s there.
        reporter = host.NewClient((await host.CreateTokenAsync("malformed-reporter", Role.Reporter)).Secret);
        await host.CreateUserAsync("malformed-victim", Role.Viewer);
    }

    public async Task DisposeAsync()
    {
        reporter?.Dispose();
        await host.DisposeAsync();
    }

    /// <summary>A valid body for each request schema; one field at a time is then broken. A new schema without one fails the test.</summary>
    private JsonObject Base(string schema)
    {
        var n = Interlocked.Increment(ref unique);
        return schema switch
        {
            "CampaignRequest" => new JsonObject
            {
                ["kind"] = "restart",
                ["selector"] = new JsonObject { ["names"] = new JsonArray(master), ["roles"] = new JsonArray("build"), ["buckets"] = new JsonArray(), ["datacentres"] = new JsonArray(), ["outOfSyncOnly"] = false },
                ["policy"] = new JsonObject { ["perBucket"] = 1, ["maxParallel"] = 2, ["drainTimeout"] = "01:00:00", ["onDrainTimeout"] = "hold", ["approval"] = "plan", ["failureThreshold"] = 1 },
                ["reason"] = "probe",
            },
            "ScheduleSpec" => new JsonObject
            {
                ["name"] = $"probe {n}",
                ["kind"] = "restart",
                ["selector"] = new JsonObject { ["names"] = new JsonArray(master), ["roles"] = new JsonArray(), ["buckets"] = new JsonArray(), ["datacentres"] = new JsonArray(), ["outOfSyncOnly"] = false },
                ["policy"] = new JsonObject { ["perBucket"] = 1, ["maxParallel"] = 2, ["drainTimeout"] = "01:00:00", ["onDrainTimeout"] = "hold", ["approval"] = "none", ["failureThreshold"] = 1 },
                ["cron"] = "0 0 22 ? * SUN",
                ["timeZone"] = "UTC",
                ["window"] = "01:00:00",
                ["misfire"] = "skip",
                ["enabled"] = false,
                ["reason"] = "probe",
            },
            "ExcludedDateDto" => new JsonObject { ["date"] = $"{2030 + n / 365:D4}-{1 + n % 12:D2}-{1 + n % 28:D2}", ["reason"] = "probe" },
            "CreateTokenDto" => new JsonObject { ["name"] = $"probe-{n}", ["role"] = "viewer" },
            "CreateUserDto" => new JsonObject { ["name"] = $"probe-{n}", ["password"] = "probe-password-0123", ["role"] = "viewer" },
            "SetRoleDto" => new JsonObject { ["role"] = "viewer" },
            "ActionDto" or "FreezeRequest" => new JsonObject { ["reason"] = "probe" },
            "WorkerActionRequest" => new JsonObject { ["reason"] = "probe", ["until"] = "2030-01-01T00:00:00Z" },
            "CycleReportRequest" => new JsonObject { ["phase"] = "preflight", ["detail"] = "probe", ["at"] = "2026-12-02T00:00:00Z" },
            _ => throw new Xunit.Sdk.XunitException($"no base body for request schema {schema}: add one to MalformedRequestTests.Base"),
        };
    }

    /// <param name="Field">What a 400 must name.</param>
    /// <param name="MustRefuse">A 2xx is a failure: the value is outside the rules.</param>
    private sealed record Case(string Method, string Path, string What, HttpContent? Body, string? Field, bool MustRefuse = false, HttpClient? Client = null);

    private sealed record Leaf(string Path, string Kind, JsonNode? Schema);

    [Fact]
    public async Task No_operation_answers_malformed_input_with_a_5xx_an_empty_4xx_or_a_refusal_that_does_not_name_its_field()
    {
        var doc = JsonNode.Parse(await host.Client.GetStringAsync("/openapi/v1.json"))!;
        var schemas = doc["components"]!["schemas"]!.AsObject();
        var cases = new List<Case>();
        var operations = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => (Path: p.Key, Method: o.Key.ToUpperInvariant(), Op: o.Value!)))
            // Deletes last, so every other operation finds what it names.
            .OrderBy(o => o.Method == "DELETE").ToList();
        Assert.True(operations.Count >= 40, $"only {operations.Count} operations in /openapi/v1.json");

        using var anonymous = host.NewClient();
        foreach (var (template, method, op) in operations)
        {
            var path = Fill(template);
            var parameters = op["parameters"]?.AsArray().Select(p => (Name: p!["name"]!.GetValue<string>(), In: p["in"]!.GetValue<string>(), Schema: p["schema"])).ToList() ?? [];
            foreach (var (name, where, schema) in parameters)
            {
                var wrong = Kind(schema, schemas) is "integer" or "date-time" ? "not-a-value" : null;
                var huge = new string('x', 5000);
                if (where == "query")
                {
                    if (wrong is not null)
                    {
                        cases.Add(new(method, $"{path}?{name}={wrong}", $"query {name} wrong type", null, name, MustRefuse: true));
                    }

                    cases.Add(new(method, $"{path}?{name}={huge}", $"query {name} huge", null, name));
                }
                else
                {
                    var index = template.IndexOf("{" + name + "}", StringComparison.Ordinal);
                    var other = parameters.Where(p => p.In == "path" && p.Name != name).Aggregate(template, (t, p) => t.Replace("{" + p.Name + "}", Value(p.Name, template)));
                    foreach (var (v, what) in new[] { ("not-a-value", "wrong type"), ("99999999999999999999999", "overflow"), (new string('x', 1000), "long") })
                    {
                        cases.Add(new(method, other.Replace("{" + name + "}", v), $"path {name} {what}", null, null));
                    }
                }
            }

            if (op["requestBody"]?["content"]?["application/json"]?["schema"] is not { } bodySchema)
            {
                continue;
            }

            var schemaName = RefName(bodySchema) ?? InlineName(template);
            var resolved = Resolve(bodySchema, schemas);
            cases.Add(new(method, path, "invalid JSON", Json("{\"kind\":"), null));
            cases.Add(new(method, path, "not an object", Json("[1,2,3]"), null));
            cases.Add(new(method, path, "deep nesting", Json(new string('[', 200) + new string(']', 200)), null));
            cases.Add(new(method, path, "nested objects", Json(string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100)), null));
            cases.Add(new(method, path, "body over 1 MiB", Json("{\"reason\":\"" + new string('x', 1_100_000) + "\"}"), null));
            cases.Add(new(method, path, "wrong content type", new StringContent(Base(schemaName).ToJsonString(), Encoding.UTF8, "text/plain"), null));
            cases.Add(new(method, path, "anonymous, wrong content type", new StringContent("x", Encoding.UTF8, "text/plain"), null, Client: anonymous));
            foreach (var leaf in Leaves("", resolved, schemas))
            {
                foreach (var (value, what, mustRefuse) in Mutations(leaf))
                {
                    var body = Base(schemaName);
                    Set(body, leaf.Path, value);
                    cases.Add(new(method, path, $"{leaf.Path} {what}", Json(body.ToJsonString()), leaf.Path, mustRefuse));
                }

                var without = Base(schemaName);
                Remove(without, leaf.Path);
                cases.Add(new(method, path, $"{leaf.Path} missing", Json(without.ToJsonString()), leaf.Path));
            }
        }

        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        foreach (var c in cases)
        {
            using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path) { Content = c.Body };
            // A body over the limit is refused from its Content-Length: waiting for 100-continue keeps the client from
            // writing a megabyte into a connection the server has already answered.
            request.Headers.ExpectContinue = c.What == "body over 1 MiB";
            using var response = await (c.Client ?? (c.Path.EndsWith("/cycle", StringComparison.Ordinal) ? reporter : host.Client)).SendAsync(request);
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            var text = await response.Content.ReadAsStringAsync();
            var label = $"{c.Method} {Clip(c.Path)} [{c.What}] → {status}";
            if (status >= 500)
            {
                failures.Add($"{label}: a server error {Clip(text)}");
                continue;
            }

            if (c.Client == anonymous && status != 401)
            {
                failures.Add($"{label}: an anonymous write must be refused with 401 before anything else");
            }

            if (status < 400)
            {
                if (c.MustRefuse)
                {
                    failures.Add($"{label}: accepted a value that must be refused");
                }

                continue;
            }

            // Nagios plugin endpoints answer in the plugin's own words (text, read by Nagios), refusals included.
            if (c.Path.StartsWith("/api/v1/checks/nagios", StringComparison.Ordinal) && response.Content.Headers.ContentType?.MediaType == "text/plain" && text.StartsWith("UNKNOWN", StringComparison.Ordinal))
            {
                continue;
            }

            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{label}: not a ProblemDetails ({response.Content.Headers.ContentType?.MediaType ?? "no body"}) {Clip(text)}");
                continue;
            }

            var problem = JsonNode.Parse(text)!;
            var title = problem["title"]?.GetValue<string>();
            if (string.IsNullOrWhiteSpace(title) || problem["status"]?.GetValue<int>() != status)
            {
                failures.Add($"{label}: a ProblemDetails without a title or with another status: {Clip(text)}");
            }

            if (text.Length > 20_000)
            {
                failures.Add($"{label}: the refusal is {text.Length} characters; it must not echo a huge value");
            }

            if (c.Field is { } field && status == 400 && !Names(text, field))
            {
                failures.Add($"{label}: the refusal does not name {field}: {Clip(text)}");
            }
        }

        var summary = $"{cases.Count} requests: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value}×{s.Key}"));
        Assert.True(failures.Count == 0, $"{failures.Count} of {summary}\n" + string.Join('\n', failures.Take(80)));
        Assert.True(cases.Count > 300, summary);
    }

    /// <summary>A refusal names "policy.drainTimeout" when it says "drainTimeout" (as a key, a path or in words, e.g. "time zone" for timeZone).</summary>
    private static bool Names(string problem, string field)
    {
        static string Squash(string s) => new([.. s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);
        // The leaf, or the object it is in when the rule is about the whole object ("selector: ... must select masters by ...").
        var parts = field.Split('.').Select(p => p.Split('[')[0]).ToArray();
        return parts.TakeLast(2).Any(p => Squash(problem).Contains(Squash(p), StringComparison.Ordinal));
    }

    private IEnumerable<(JsonNode? Value, string What, bool MustRefuse)> Mutations(Leaf leaf)
    {
        yield return (null, "null", false);
        switch (leaf.Kind)
        {
            case "integer":
                yield return ("many", "wrong type", true);
                yield return (2147483647, "huge", true);
                yield return (-2147483648, "negative", true);
                yield return (1e30, "out of range", true);
                break;
            case "boolean":
                yield return ("maybe", "wrong type", true);
                break;
            case "timespan":
                yield return ("P999999D", "ISO 8601 instead of c", true);
                yield return ("10675199.02:48:05.4775807", "TimeSpan.MaxValue", true);
                yield return (new JsonObject(), "wrong type", true);
                break;
            case "enum":
                yield return ("explode", "unknown value", true);
                yield return (12345, "a number", true);
                break;
            case "string":
                yield return (new JsonObject { ["a"] = 1 }, "wrong type", true);
                yield return (new string('x', 100_000), "huge", true);
                yield return ("\u202enimda\0", "control and bidi characters", leaf.Path is "name" or "reason" or "policy.reason" or "cron" or "timeZone" or "date");
                break;
            case "array":
                yield return ("x", "wrong type", true);
                yield return (new JsonArray([.. Enumerable.Range(0, 2000).Select(i => (JsonNode)$"m{i}")]), "2000 entries", leaf.Path.EndsWith("names", StringComparison.Ordinal) || leaf.Path.EndsWith("buckets", StringComparison.Ordinal) || leaf.Path.EndsWith("datacentres", StringComparison.Ordinal));
                yield return (new JsonArray(new string('x', 100_000)), "one huge entry", leaf.Path.EndsWith("names", StringComparison.Ordinal) || leaf.Path.EndsWith("buckets", StringComparison.Ordinal) || leaf.Path.EndsWith("datacentres", StringComparison.Ordinal));
                yield return (new JsonArray("explode", null), "bad entries", false);
                break;
        }
    }

    private static IEnumerable<Leaf> Leaves(string prefix, JsonNode schema, JsonObject schemas)
    {
        foreach (var (name, prop) in schema["properties"]?.AsObject() ?? [])
        {
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            var kind = Kind(prop, schemas);
            if (kind == "object")
            {
                foreach (var l in Leaves(path, Resolve(prop!, schemas), schemas))
                {
                    yield return l;
                }
            }
            else
            {
                yield return new Leaf(path, kind, prop);
            }
        }
    }

    private static string Kind(JsonNode? schema, JsonObject schemas)
    {
        if (schema is null)
        {
            return "unknown";
        }

        var s = Resolve(schema, schemas);
        if (s["enum"] is not null)
        {
            return "enum";
        }

        var types = s["type"] switch
        {
            JsonArray a => a.Select(t => t!.GetValue<string>()).ToList(),
            JsonValue v => [v.GetValue<string>()],
            _ => [],
        };
        if (s["pattern"]?.GetValue<string>() is { } pattern && pattern.Contains(@"\d{2}:\d{2}", StringComparison.Ordinal))
        {
            return "timespan";
        }

        return types.Contains("integer") ? "integer"
            : types.Contains("boolean") ? "boolean"
            : types.Contains("array") ? "array"
            : s["format"]?.GetValue<string>() == "date-time" ? "date-time"
            : types.Contains("string") ? "string"
            : s["properties"] is not null ? "object"
            : "unknown";
    }

    private static JsonNode Resolve(JsonNode schema, JsonObject schemas)
    {
        if (RefName(schema) is { } name)
        {
            return Resolve(schemas[name]!, schemas);
        }

        // A nullable reference is written as oneOf [null, $ref].
        return (schema["oneOf"] ?? schema["anyOf"])?.AsArray().FirstOrDefault(x => x!["type"]?.ToString() != "null") is { } branch ? Resolve(branch, schemas) : schema;
    }

    private static string? RefName(JsonNode schema) =>
        schema["$ref"]?.GetValue<string>().Split('/').Last()
        ?? (schema["oneOf"] ?? schema["anyOf"])?.AsArray().Select(x => x!["$ref"]?.GetValue<string>()).FirstOrDefault(r => r is not null)?.Split('/').Last();

    // Inline (nullable) bodies: the campaign actions take ActionDto, the freeze takes FreezeRequest.
    private static string InlineName(string template) => template.Contains("freeze", StringComparison.Ordinal) ? "FreezeRequest" : "ActionDto";

    private string Fill(string template) =>
        System.Text.RegularExpressions.Regex.Replace(template, @"\{(\w+)\}", m => Value(m.Groups[1].Value, template));

    private string Value(string name, string template) => name switch
    {
        "id" when template.Contains("/schedules", StringComparison.Ordinal) => $"{schedule}",
        "id" when template.Contains("/tokens", StringComparison.Ordinal) => $"{token}",
        "id" => $"{campaign}",
        "name" when template.Contains("/users", StringComparison.Ordinal) => "malformed-victim",
        "name" => master,
        "date" => "2031-01-01",
        _ => "x",
    };

    private static void Set(JsonObject body, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var o = parts[..^1].Aggregate(body, (x, p) => x[p]!.AsObject());
        o[parts[^1]] = value;
    }

    private static void Remove(JsonObject body, string path)
    {
        var parts = path.Split('.');
        parts[..^1].Aggregate(body, (x, p) => x[p]!.AsObject()).Remove(parts[^1]);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static string Clip(string s) => s.Length > 300 ? s[..300] + "…" : s;
}
