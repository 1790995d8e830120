namespace Wrangler.Runner;

public enum WorkerLogEvent
{
    None,
    Connected,
    BuildStarted,
    ShutdownInitiated,
}

/// <summary>What the lines of buildbot-worker 3.x's twistd.log mean to the runner (buildbot_worker/pb.py).</summary>
public static class WorkerLog
{
    public static WorkerLogEvent Classify(string line) =>
        line.Contains("Connected to buildmaster; worker is ready", StringComparison.Ordinal) ? WorkerLogEvent.Connected
        // The master pings the worker before every build (buildbot/process/build.py), and the worker logs each message.
        : line.Contains("message from master: ping", StringComparison.Ordinal) ? WorkerLogEvent.BuildStarted
        : line.Contains("Initiating shutdown because", StringComparison.Ordinal) ? WorkerLogEvent.ShutdownInitiated
        : WorkerLogEvent.None;
}
