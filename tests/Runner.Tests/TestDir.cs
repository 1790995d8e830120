namespace Wrangler.Runner.Tests;

/// <summary>A temporary directory, deleted on dispose.</summary>
public sealed class TestDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("runner-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes an executable shell script.</summary>
    public string Script(string relative, string body)
    {
        var path = File(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public RunnerConfig Config(Action<RunnerConfigBuilder>? change = null)
    {
        var b = new RunnerConfigBuilder(this);
        change?.Invoke(b);
        return b.Build();
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

public sealed class RunnerConfigBuilder(TestDir dir)
{
    public RunnerConfig Value { get; set; } = new()
    {
        WorkerName = "tst-linux64-001",
        WorkerBasedir = dir.Path,
        TaskDir = dir.File("tasks"),
        WranglerUrl = new Uri("http://127.0.0.1:9/"),
        WranglerToken = "secret",
        ReportQueueDir = dir.File("queue"),
        TaskTimeout = TimeSpan.FromSeconds(30),
        MaxBuilds = 1,
        MaxUptime = TimeSpan.FromHours(6),
        IdleTimeout = TimeSpan.FromHours(1),
        ConnectTimeout = TimeSpan.FromMinutes(5),
        HardStopAfter = TimeSpan.FromHours(12),
        Backoff = new Backoff(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(4)),
    };

    public RunnerConfig Build() => Value;
}
