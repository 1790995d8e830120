using System.Diagnostics;
using System.Text.Json;
using Wrangler.Lab;

namespace Wrangler.Dashboard.Tests.Runner;

/// <summary>
/// wrangler-runner as its own process (<c>dotnet wrangler-runner.dll CONFIG</c>), with its config, task directory and
/// report queue in a temporary directory. Disposing sends SIGTERM twice (stop the worker now), waits for the exit, then
/// fails the test if any process the runner started (the worker, a task or a task's child) outlived it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RunnerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly List<string> output = [];
    private readonly string workerDir;

    private RunnerProcess(Process process, string dir, string workerDir)
    {
        this.process = process;
        Dir = dir;
        this.workerDir = workerDir;
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Dir { get; }
    public string QueueDir => Path.Combine(Dir, "queue");
    public string Trace => Path.Combine(Dir, "trace");
    public bool HasExited => process.HasExited;

    public string Output
    {
        get
        {
            lock (output)
            {
                return string.Join('\n', output);
            }
        }
    }

    /// <param name="tasks">relative path (preflight/10-x) → shell script body.</param>
    public static RunnerProcess Start(RunnerLabFixture fx, IReadOnlyDictionary<string, string> tasks, Dictionary<string, object> settings)
    {
        var dir = Directory.CreateTempSubdirectory("wrangler-runner-").FullName;
        foreach (var (rel, body) in tasks)
        {
            var path = Path.Combine(dir, "tasks", rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "#!/bin/sh\n" + body.Replace("$TRACE", Path.Combine(dir, "trace")) + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var config = new Dictionary<string, object>
        {
            ["workerName"] = fx.Worker.Name,
            ["workerBasedir"] = fx.Worker.Dir,
            ["workerCommand"] = new[] { "/usr/bin/buildbot-worker" },
            ["taskDir"] = Path.Combine(dir, "tasks"),
            ["taskTimeout"] = "00:01:00",
            ["maxBuilds"] = 1,
            ["maxUptime"] = "01:00:00",
            ["idleTimeout"] = "01:00:00",
            ["connectTimeout"] = "00:01:00",
            ["hardStopAfter"] = "00:05:00",
            ["backoff"] = new { initial = "00:00:02", max = "00:00:10" },
            ["wranglerUrl"] = $"http://127.0.0.1:{fx.Port}/",
            ["wranglerToken"] = fx.ReporterToken,
            ["reportQueueDir"] = Path.Combine(dir, "queue"),
        };
        foreach (var (k, v) in settings)
        {
            config[k] = v;
        }

        var configPath = Path.Combine(dir, "runner.json");
        File.WriteAllText(configPath, JsonSerializer.Serialize(config));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wrangler-runner.dll"));
        psi.ArgumentList.Add(configPath);
        return new RunnerProcess(Process.Start(psi)!, dir, fx.Worker.Dir);
    }

    public void Terminate() => LabProcess.Terminate(process.Id);

    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the runner did not exit within {within}; its output:\n{Output}");
        }

        return process.ExitCode;
    }

    /// <summary>Processes (other than the runner) that run in or name the worker's basedir or this runner's directory.</summary>
    public IReadOnlyList<int> Leftovers() =>
        [.. Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && pid != Environment.ProcessId && pid != SafeId() && LabProcess.IsAlive(pid)
                && (LabProcess.BelongsTo(pid, workerDir) || LabProcess.BelongsTo(pid, Dir)))];

    private int SafeId()
    {
        try
        {
            return process.HasExited ? -1 : process.Id;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            Terminate();
            await Task.Delay(200);
            Terminate();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        // Let the runner's last kills land, then nothing it started may be left.
        var left = Leftovers();
        for (var i = 0; i < 50 && left.Count > 0; i++)
        {
            await Task.Delay(100);
            left = Leftovers();
        }

        foreach (var pid in left)
        {
            LabProcess.Kill(pid);
        }

        process.Dispose();
        Directory.Delete(Dir, recursive: true);
        Assert.True(left.Count == 0, $"processes outlived the runner: {string.Join(", ", left.Select(p => $"{p} ({Cmdline(p)})"))}");
    }

    private static string Cmdline(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Add(line);
        }
    }
}
