using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Wrangler.Runner.Tests;

public sealed class ReportQueueTests : IDisposable
{
    private readonly TestDir dir = new();

    [Fact]
    public async Task Reports_wait_on_disk_while_Wrangler_is_down_and_arrive_in_order_when_it_is_back()
    {
        var up = false;
        var received = new List<CycleReport>();
        Task<HttpStatusCode> Send(CycleReport r, CancellationToken ct)
        {
            if (!Volatile.Read(ref up))
            {
                throw new HttpRequestException("connection refused");
            }

            lock (received)
            {
                received.Add(r);
            }

            return Task.FromResult(HttpStatusCode.Created);
        }

        var queueDir = dir.File("queue");
        await using (var first = new ReportQueue(queueDir, TimeProvider.System, Send, TimeSpan.FromMilliseconds(50)))
        {
            using var cts = new CancellationTokenSource();
            var sender = first.RunAsync(cts.Token);
            first.Enqueue("preflight", "cycle 1");
            first.Enqueue("started", null);
            await Eventually.Async(() => first.Pending().Count == 2, "two queued");
            await cts.CancelAsync();
            await sender;
        }

        // The runner restarted while Wrangler was still down: the queue is still there, and new reports join its end.
        await using var second = new ReportQueue(queueDir, TimeProvider.System, Send, TimeSpan.FromMilliseconds(50));
        second.Enqueue("connected", "after 2s");
        Assert.Equal(3, second.Pending().Count);
        using var cts2 = new CancellationTokenSource();
        var sender2 = second.RunAsync(cts2.Token);
        Volatile.Write(ref up, true);
        await Eventually.Async(() => second.Pending().Count == 0, "the backlog is sent");
        second.Enqueue("stopped", "exit 0");
        await Eventually.Async(() => { lock (received) { return received.Count == 4; } }, "the next report follows");
        await cts2.CancelAsync();
        await sender2;
        Assert.Equal(["preflight", "started", "connected", "stopped"], received.Select(r => r.Phase));
        Assert.Equal("cycle 1", received[0].Detail);
    }

    [Fact]
    public async Task A_send_that_fails_while_the_runner_stops_keeps_the_report_and_ends_the_sender_quietly()
    {
        using var cts = new CancellationTokenSource();
        await using var q = new ReportQueue(dir.File("q4"), TimeProvider.System, (_, _) =>
        {
            // The runner is told to stop while Wrangler is down: the failure arrives after the cancellation.
            cts.Cancel();
            throw new HttpRequestException("connection refused");
        });
        q.Enqueue("stopped", "exit 0");

        await q.RunAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Single(q.Pending());
    }

    [Fact]
    public async Task Enqueue_never_waits_for_a_send_that_hangs()
    {
        var hang = new TaskCompletionSource<HttpStatusCode>();
        await using var q = new ReportQueue(dir.File("q"), TimeProvider.System, (_, _) => hang.Task);
        using var cts = new CancellationTokenSource();
        var sender = q.RunAsync(cts.Token);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 50; i++)
        {
            q.Enqueue("preflight", $"cycle {i}");
        }

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"enqueueing took {sw.Elapsed}");
        Assert.Equal(50, q.Pending().Count);
        hang.SetResult(HttpStatusCode.ServiceUnavailable);
        await cts.CancelAsync();
        await sender;
        Assert.Equal(50, q.Pending().Count);
    }

    [Fact]
    public async Task A_refused_report_is_dropped_a_rejected_token_is_kept()
    {
        var answers = new Queue<HttpStatusCode>([HttpStatusCode.BadRequest, HttpStatusCode.Forbidden, HttpStatusCode.Created]);
        var seen = new List<string>();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-02T10:00:00Z"));
        await using var q = new ReportQueue(dir.File("q2"), time, (r, _) =>
        {
            seen.Add(r.Phase);
            return Task.FromResult(answers.Dequeue());
        });
        var problems = new List<string>();
        q.Problem += problems.Add;
        q.Enqueue("bogus", null);
        q.Enqueue("preflight", null);
        await q.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["bogus", "preflight"], seen);
        Assert.Single(q.Pending());
        Assert.Contains(problems, p => p.Contains("403"));
        await q.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(q.Pending());
        Assert.Equal(DateTimeOffset.Parse("2026-12-02T10:00:00Z"), time.GetUtcNow());
    }

    [Fact]
    public async Task Draining_sends_what_is_queued_once_and_ends_the_sender()
    {
        var sent = new List<string>();
        await using var q = new ReportQueue(dir.File("q3"), TimeProvider.System, (r, _) =>
        {
            sent.Add(r.Phase);
            return Task.FromResult(HttpStatusCode.Created);
        });
        q.Enqueue("stopped", null);
        q.Enqueue("postflight", null);
        q.Drain();
        await q.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["stopped", "postflight"], sent);
        Assert.Empty(q.Pending());
    }

    public void Dispose() => dir.Dispose();
}
