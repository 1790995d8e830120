using System.Runtime.InteropServices;
using Wrangler.Runner;

// wrangler-runner CONFIG.json: runs the worker's cycle until SIGTERM (docs/runner.md).
if (args.Length != 1 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: wrangler-runner CONFIG.json   (docs/runner.md)");
    return 64;
}

RunnerConfig config;
try
{
    config = RunnerConfig.Load(args[0]);
}
catch (Exception ex) when (ex is ConfigException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"wrangler-runner: {ex.Message}");
    return 2;
}

var time = TimeProvider.System;
void Log(string line) => Console.WriteLine($"{time.GetUtcNow():yyyy-MM-dd HH:mm:ss}Z {line}");

using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
var client = new WranglerClient(http, config);
await using var queue = new ReportQueue(config.ReportQueueDir, time, client.SendAsync);
queue.Problem += Log;
using var senderStop = new CancellationTokenSource();
var sender = queue.RunAsync(senderStop.Token);

var stop = new StopRequests();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    Log(stop.GracefulRequested ? "second SIGTERM: stopping the worker now" : "SIGTERM: graceful shutdown of the worker, post-flight, then exit");
    stop.Signal();
});
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
{
    ctx.Cancel = true;
    stop.Signal();
});

int code;
if (BuildbotTac.Problem(config.WorkerBasedir) is { } problem)
{
    Log($"halted: {problem}");
    queue.Enqueue(Phases.Halted, problem);
    code = 2;
}
else
{
    var cycle = new Cycle(config, new TaskRunner(config, time), new BuildbotWorker(config, time), queue, stop, time, Log);
    code = await cycle.RunAsync(CancellationToken.None);
}

// The last reports (stopped, post-flight) are worth a few seconds; what is left stays queued for the next start.
queue.Drain();
await Task.WhenAny(sender, Task.Delay(TimeSpan.FromSeconds(10), time));
await senderStop.CancelAsync();
await sender;
Log($"exiting ({code}); {queue.Pending().Count} report(s) still queued");
return code;
