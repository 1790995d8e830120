using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wrangler.Runner;

/// <summary>Back-off between failed cycles: doubles from <see cref="Initial"/> up to <see cref="Max"/>.</summary>
public sealed record Backoff(TimeSpan Initial, TimeSpan Max);

/// <summary>The one configuration file (docs/runner.md lists every key).</summary>
public sealed record RunnerConfig
{
    public required string WorkerName { get; init; }
    public required string WorkerBasedir { get; init; }

    /// <summary>argv of buildbot-worker; the runner appends <c>start --nodaemon BASEDIR</c>.</summary>
    public IReadOnlyList<string> WorkerCommand { get; init; } = ["buildbot-worker"];

    /// <summary>Holds <c>preflight/</c> and <c>postflight/</c>, each of executables run in name order.</summary>
    public required string TaskDir { get; init; }
    public TimeSpan TaskTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Per task (file name) timeouts that differ from <see cref="TaskTimeout"/>.</summary>
    public IReadOnlyDictionary<string, TimeSpan> TaskTimeouts { get; init; } = new Dictionary<string, TimeSpan>();
    public int RetryLaterExitCode { get; init; } = 75;

    public TimeSpan MaxUptime { get; init; } = TimeSpan.FromHours(6);
    public int MaxBuilds { get; init; } = 1;
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromMinutes(5);
    public TimeSpan HardStopAfter { get; init; } = TimeSpan.FromHours(12);
    public Backoff Backoff { get; init; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(30));

    public required Uri WranglerUrl { get; init; }
    public required string WranglerToken { get; init; }
    public required string ReportQueueDir { get; init; }

    public string PreflightDir => Path.Combine(TaskDir, "preflight");
    public string PostflightDir => Path.Combine(TaskDir, "postflight");

    public TimeSpan TimeoutOf(string task) => TaskTimeouts.TryGetValue(task, out var t) ? t : TaskTimeout;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and checks the file; every problem in one message, naming the key.</summary>
    public static RunnerConfig Load(string path)
    {
        RunnerConfig? c;
        try
        {
            c = JsonSerializer.Deserialize<RunnerConfig>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"{path}: {ex.Message}");
        }

        if (c is null)
        {
            throw new ConfigException($"{path}: empty");
        }

        var problems = c.Problems().ToList();
        return problems.Count == 0 ? c : throw new ConfigException($"{path}: " + string.Join("; ", problems));
    }

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(WorkerName) || WorkerName.Contains('/'))
        {
            yield return "workerName must be a worker's name";
        }

        if (!Path.IsPathFullyQualified(WorkerBasedir))
        {
            yield return "workerBasedir must be an absolute path";
        }

        if (WorkerCommand.Count == 0 || string.IsNullOrWhiteSpace(WorkerCommand[0]))
        {
            yield return "workerCommand must name buildbot-worker";
        }

        if (!Path.IsPathFullyQualified(TaskDir))
        {
            yield return "taskDir must be an absolute path";
        }

        if (!Path.IsPathFullyQualified(ReportQueueDir))
        {
            yield return "reportQueueDir must be an absolute path";
        }

        foreach (var (name, t) in new[]
                 {
                     ("taskTimeout", TaskTimeout), ("maxUptime", MaxUptime), ("idleTimeout", IdleTimeout), ("connectTimeout", ConnectTimeout),
                     ("hardStopAfter", HardStopAfter), ("backoff.initial", Backoff.Initial), ("backoff.max", Backoff.Max),
                 }.Concat(TaskTimeouts.Select(kv => ($"taskTimeouts.{kv.Key}", kv.Value))))
        {
            if (t <= TimeSpan.Zero)
            {
                yield return $"{name} must be positive";
            }
        }

        if (MaxBuilds < 1)
        {
            yield return "maxBuilds must be at least 1";
        }

        if (RetryLaterExitCode is < 1 or > 255)
        {
            yield return "retryLaterExitCode must be 1-255";
        }

        if (WranglerUrl is not { IsAbsoluteUri: true } u || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
        {
            yield return "wranglerUrl must be an http(s) URL";
        }

        if (string.IsNullOrWhiteSpace(WranglerToken))
        {
            yield return "wranglerToken is required (a token of role reporter)";
        }
    }
}

public sealed class ConfigException(string message) : Exception(message);
