using Wrangler.Core.Buildbot;
using Wrangler.Core.Remote;

namespace Wrangler.Core.Campaigns;

/// <summary>
/// Ends a step's wait as soon as the master says something changed, not on the next fixed tick: every event on its
/// Buildbot stream (<c>/sse/listen/...</c>), every marker line of its twistd.log, and the stream closing or failing to
/// connect, which is how a master going away shows (BUILDBOT.md §10). The step then looks again. Between events, and
/// on a master that has neither source, the step polls at its own interval, so a lost event costs one interval.
/// </summary>
internal sealed class StepWake : IAsyncDisposable
{
    /// <summary>How long a dropped source waits before it connects again (each failure also wakes the step).</summary>
    private static readonly TimeSpan Reconnect = TimeSpan.FromMilliseconds(500);

    private readonly TimeProvider time;
    private readonly CancellationTokenSource stop;
    private readonly Task[] sources;
    private TaskCompletionSource pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int dirty;

    public StepWake(IBuildbotApi api, string path, IMasterHost host, TimeProvider time, CancellationToken ct)
    {
        this.time = time;
        stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        sources =
        [
            Task.Run(() => RunAsync(t => Drain(api.ListenAsync(path, t), t), stop.Token), CancellationToken.None),
            Task.Run(() => RunAsync(t => Drain(host.FollowLogAsync(null, t), t), stop.Token), CancellationToken.None),
        ];
    }

    /// <summary>Returns when something happened since the last call, or after <paramref name="poll"/> at the latest.</summary>
    public async Task WaitAsync(TimeSpan poll, CancellationToken ct)
    {
        var next = Volatile.Read(ref pulse).Task;
        if (Interlocked.Exchange(ref dirty, 0) == 1)
        {
            return;
        }

        using var delayStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(poll, time, delayStop.Token);
        await Task.WhenAny(next, delay).ConfigureAwait(false);
        await delayStop.CancelAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref dirty, 0);
        ct.ThrowIfCancellationRequested();
    }

    private void Pulse()
    {
        Volatile.Write(ref dirty, 1);
        Interlocked.Exchange(ref pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private async Task Drain<T>(IAsyncEnumerable<T> events, CancellationToken ct)
    {
        await foreach (var _ in events.WithCancellation(ct).ConfigureAwait(false))
        {
            Pulse();
        }
    }

    private async Task RunAsync(Func<CancellationToken, Task> listen, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await listen(ct).ConfigureAwait(false);
            }
            catch (NotSupportedException)
            {
                return; // this master has no such source: polling only
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Refused, dropped or garbled: the master may be going away or not up yet; that is news too, and the
                // step's own look at the master says what happened.
            }

            Pulse();
            try
            {
                await Task.Delay(Reconnect, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(sources).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            // A source stuck in a connect is abandoned; its token is cancelled.
        }

        stop.Dispose();
    }
}
