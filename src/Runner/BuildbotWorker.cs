using System.Threading.Channels;

namespace Wrangler.Runner;

/// <summary>A started worker as the cycle sees it.</summary>
public interface IRunningWorker : IAsyncDisposable
{
    /// <summary>What its log says: connected, a build started, a shutdown begun.</summary>
    ChannelReader<WorkerLogEvent> Events { get; }

    /// <summary>Completes with the exit code when the worker process has exited.</summary>
    Task<int> Exited { get; }

    /// <summary>Asks for a graceful shutdown: running builds finish, then the worker exits.</summary>
    void RequestShutdown();

    /// <summary>Stops it now, interrupting any build (SIGTERM to its group, SIGKILL if it lingers).</summary>
    Task StopNowAsync();
}

public interface IWorkerHost
{
    IRunningWorker Start();
}

/// <summary>
/// buildbot-worker in the foreground (<c>start --nodaemon</c>) in its own process group, so the runner owns it: it
/// sees the exit at once and nothing the worker started outlives it. Its twistd.log is followed from where it ended.
/// </summary>
public sealed class BuildbotWorker(RunnerConfig config, TimeProvider time) : IWorkerHost
{
    public static readonly TimeSpan LogPoll = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    public string StampPath => Path.Combine(config.WorkerBasedir, "shutdown.stamp");

    public IRunningWorker Start()
    {
        var follower = new LogFollower(Path.Combine(config.WorkerBasedir, "twistd.log"), time, LogPoll);
        follower.SeekToEnd();
        var group = ProcessGroup.Start([.. config.WorkerCommand, "start", "--nodaemon", config.WorkerBasedir], config.WorkerBasedir);
        return new Running(group, follower, StampPath, time);
    }

    private sealed class Running : IRunningWorker
    {
        private readonly ProcessGroup group;
        private readonly LogFollower follower;
        private readonly string stamp;
        private readonly TimeProvider time;
        private readonly Channel<WorkerLogEvent> events = Channel.CreateUnbounded<WorkerLogEvent>();
        private readonly CancellationTokenSource stop = new();
        private readonly Task pump;

        public Running(ProcessGroup group, LogFollower follower, string stamp, TimeProvider time)
        {
            this.group = group;
            this.follower = follower;
            this.stamp = stamp;
            this.time = time;
            Exited = WaitAsync();
            pump = Task.Run(PumpAsync);
        }

        public ChannelReader<WorkerLogEvent> Events => events.Reader;

        public Task<int> Exited { get; }

        public void RequestShutdown()
        {
            // The worker acts when the stamp's mtime is newer than it was at start-up (buildbot_worker/pb.py).
            var now = time.GetUtcNow().UtcDateTime;
            if (!File.Exists(stamp))
            {
                File.WriteAllBytes(stamp, []);
            }

            var before = File.GetLastWriteTimeUtc(stamp);
            File.SetLastWriteTimeUtc(stamp, now > before ? now : before.AddSeconds(1));
        }

        public async Task StopNowAsync()
        {
            if (group.HasExited)
            {
                return;
            }

            group.Signal(ProcessGroup.SigTerm);
            try
            {
                await Exited.WaitAsync(StopGrace, time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await group.KillAsync().ConfigureAwait(false);
            }
        }

        private async Task<int> WaitAsync()
        {
            await group.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return group.ExitCode;
        }

        private async Task PumpAsync()
        {
            try
            {
                await foreach (var line in follower.FollowAsync(stop.Token).ConfigureAwait(false))
                {
                    if (WorkerLog.Classify(line) is var e and not WorkerLogEvent.None)
                    {
                        events.Writer.TryWrite(e);
                    }
                }
            }
            finally
            {
                events.Writer.TryComplete();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopNowAsync().ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
            await group.DisposeAsync().ConfigureAwait(false);
            follower.Dispose();
            stop.Dispose();
        }
    }
}
