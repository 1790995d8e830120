namespace Wrangler.Core.Buildbot;

public sealed record BuildbotMaster(int MasterId, string Name, bool Active, DateTimeOffset? LastActive);

public readonly record struct WorkerBuilderConfig(int BuilderId, int MasterId);

public sealed record BuildbotWorker(
    int WorkerId,
    string Name,
    IReadOnlyList<int> ConnectedTo,
    IReadOnlyList<WorkerBuilderConfig> ConfiguredOn,
    bool Paused,
    bool Graceful)
{
    public bool IsConnected => ConnectedTo.Count > 0;

    /// <summary>From <c>workerinfo</c>, which stays empty until the worker has connected once.</summary>
    public string? Version { get; init; }

    public string? Host { get; init; }
}

/// <summary>A build, running or complete, as <c>/api/v2/builds</c> and the <c>builds/*/*</c> events carry it.</summary>
public sealed record BuildbotBuild(
    int BuildId,
    int BuilderId,
    int Number,
    int? WorkerId,
    int MasterId,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompleteAt,
    bool Complete,
    int? Results,
    string? StateString);

/// <summary>One server-sent event of a master's <c>/sse/listen/...</c> stream (BUILDBOT.md §10): its routing key and message.</summary>
public sealed record BuildbotEvent(IReadOnlyList<string> Key, System.Text.Json.JsonElement Message);

public sealed record BuildbotBuilder(int BuilderId, string Name, IReadOnlyList<int> MasterIds, IReadOnlyList<string> Tags);

public sealed record RunningBuild(
    int BuildId,
    int BuilderId,
    string BuilderName,
    int Number,
    DateTimeOffset? StartedAt,
    int? WorkerId,
    string? WorkerName,
    int MasterId,
    string? StateString);

public sealed record PendingBuildRequest(
    int BuildRequestId,
    int BuilderId,
    string? BuilderName,
    bool Claimed,
    int? ClaimedByMasterId,
    DateTimeOffset? SubmittedAt);

public enum WorkerAction
{
    Pause,
    Unpause,
    GracefulStop,
    Kill,
}

public enum BuildbotErrorKind
{
    /// <summary>The master did not answer (connection refused, timeout).</summary>
    Unreachable,

    /// <summary>An HTTP error status.</summary>
    Http,

    /// <summary>The answer was not the JSON we expect.</summary>
    InvalidResponse,

    UnknownWorker,

    /// <summary>The worker is connected to a master this client cannot reach (not in the inventory).</summary>
    WrongMaster,

    /// <summary>A JSON-RPC control call was refused.</summary>
    ControlRefused,
}

public sealed class BuildbotApiException(BuildbotErrorKind kind, string message, int? statusCode = null, Exception? inner = null)
    : Exception(message, inner)
{
    public BuildbotErrorKind Kind { get; } = kind;
    public int? StatusCode { get; } = statusCode;
}
