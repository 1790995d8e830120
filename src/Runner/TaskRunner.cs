namespace Wrangler.Runner;

public enum TaskVerdict
{
    Ok,
    RetryLater,
    Halt,
}

/// <summary>One task's run: its exit code (null when killed at its timeout) and the tail of its output.</summary>
public sealed record TaskResult(string Name, int? ExitCode, bool TimedOut, TimeSpan Took, string Output, TaskVerdict Verdict)
{
    public string Describe() =>
        TimedOut ? $"task {Name} killed at its timeout after {Took.TotalSeconds:0}s"
        : $"task {Name} exited {ExitCode} ({Verdict switch { TaskVerdict.Ok => "ok", TaskVerdict.RetryLater => "retry later", _ => "halt" }})";
}

/// <summary>Every task of a stage, in order, up to the first that is not ok.</summary>
public sealed record StageResult(string Stage, IReadOnlyList<TaskResult> Tasks)
{
    public TaskVerdict Verdict => Tasks.Count == 0 ? TaskVerdict.Ok : Tasks[^1].Verdict;

    public TaskResult? Stopper => Tasks.Count > 0 && Tasks[^1].Verdict != TaskVerdict.Ok ? Tasks[^1] : null;
}

public interface ITaskStages
{
    Task<StageResult> RunAsync(string stage, CancellationToken ct);
}

/// <summary>
/// Runs the executables of <c>TASKDIR/preflight</c> or <c>TASKDIR/postflight</c> in ordinal name order, each in its own
/// process group with its timeout. Exit 0 is ok, <see cref="RunnerConfig.RetryLaterExitCode"/> retry later, anything
/// else, or outliving the timeout (then the whole group is killed), halt. Whatever a task leaves running is killed.
/// </summary>
public sealed class TaskRunner(RunnerConfig config, TimeProvider time) : ITaskStages
{
    public async Task<StageResult> RunAsync(string stage, CancellationToken ct)
    {
        var dir = stage == "preflight" ? config.PreflightDir : config.PostflightDir;
        var results = new List<TaskResult>();
        foreach (var task in List(dir))
        {
            var r = await RunOneAsync(task, ct).ConfigureAwait(false);
            results.Add(r);
            if (r.Verdict != TaskVerdict.Ok)
            {
                break;
            }
        }

        return new StageResult(stage, results);
    }

    /// <summary>Executable regular files, hidden and backup files (<c>.x</c>, <c>x~</c>) left out, in ordinal order.</summary>
    public static IReadOnlyList<string> List(string dir) =>
        !Directory.Exists(dir) ? []
        : [.. Directory.EnumerateFiles(dir)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith('~'))
            .Where(f => (File.GetUnixFileMode(f) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            .Order(StringComparer.Ordinal)];

    public async Task<TaskResult> RunOneAsync(string path, CancellationToken ct)
    {
        var name = Path.GetFileName(path);
        var timeout = config.TimeoutOf(name);
        var started = time.GetTimestamp();
        var env = new Dictionary<string, string>
        {
            ["WRANGLER_WORKER_NAME"] = config.WorkerName,
            ["WRANGLER_WORKER_BASEDIR"] = config.WorkerBasedir,
        };
        await using var group = ProcessGroup.Start([path], config.WorkerBasedir, env);
        using var timer = new CancellationTokenSource(timeout, time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, ct);
        var timedOut = false;
        try
        {
            await group.WaitForExitAsync(both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            timedOut = true;
            await group.KillAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await group.KillAsync().ConfigureAwait(false);
            throw;
        }

        await group.ReapAsync().ConfigureAwait(false);
        var took = time.GetElapsedTime(started);
        int? code = timedOut ? null : group.ExitCode;
        var verdict = code == 0 ? TaskVerdict.Ok : code == config.RetryLaterExitCode ? TaskVerdict.RetryLater : TaskVerdict.Halt;
        return new TaskResult(name, code, timedOut, took, group.Output, verdict);
    }
}
