using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace Wrangler.Dashboard.Tests.Hub;

/// <summary>One line the JavaScript client printed, with when it arrived here.</summary>
public sealed record HubEvent(string Type, JsonElement Body, TimeSpan At);

/// <summary>
/// Runs hub-client.mjs (the official @microsoft/signalr JavaScript client) as a child process and collects what it
/// prints: the .NET SignalR client does not restore here, and an external subscriber is what the hub is for anyway.
/// </summary>
public sealed class NodeHubClient : IAsyncDisposable
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    private readonly Process process;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly List<HubEvent> events = [];
    private readonly List<string> stderr = [];
    private readonly Task readOut;
    private readonly Task readErr;

    private NodeHubClient(Process process)
    {
        this.process = process;
        readOut = ReadOutAsync();
        readErr = ReadErrAsync();
    }

    public static string ScriptDirectory { get; } = Path.Combine(RepoRoot(), "tests", "Dashboard.Tests", "Hub");

    public IReadOnlyList<HubEvent> Events
    {
        get
        {
            lock (events)
            {
                return [.. events];
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return string.Join('\n', stderr);
            }
        }
    }

    /// <param name="probe">Do not ask for the snapshot after connecting: the caller invokes methods itself.</param>
    public static async Task<NodeHubClient> StartAsync(Uri baseAddress, TimeSpan timeout, string? token = AppHost.BootstrapToken, bool probe = false)
    {
        await EnsureInstalledAsync();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = ScriptDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (token is not null)
        {
            start.Environment["WRANGLER_TOKEN"] = token;
        }

        if (probe)
        {
            start.Environment["WRANGLER_HUB_PROBE"] = "1";
        }

        foreach (var arg in new[] { "hub-client.mjs", baseAddress.ToString(), ((int)timeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        return new NodeHubClient(Process.Start(start) ?? throw new InvalidOperationException("node did not start"));
    }

    public async Task SendAsync(string command)
    {
        await process.StandardInput.WriteLineAsync(command);
        await process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for the first event of <paramref name="type"/> that matches; fails on the client's own error or exit.</summary>
    public async Task<HubEvent> WaitForAsync(string type, Func<JsonElement, bool> match, TimeSpan timeout, string what)
    {
        var deadline = clock.Elapsed + timeout;
        while (true)
        {
            var all = Events;
            if (all.FirstOrDefault(e => e.Type == type && match(e.Body)) is { } hit)
            {
                return hit;
            }

            if (all.FirstOrDefault(e => e.Type == "error") is { } error)
            {
                throw new Xunit.Sdk.XunitException($"the hub client reported an error while waiting for {what}: {error.Body}\n{Stderr}");
            }

            if (process.HasExited || clock.Elapsed > deadline)
            {
                throw new Xunit.Sdk.XunitException(
                    $"{(process.HasExited ? $"the hub client exited ({process.ExitCode})" : $"{timeout.TotalSeconds:0} s passed")} before {what}; "
                    + $"it printed {all.Count} events ({string.Join(", ", all.GroupBy(e => e.Type).Select(g => $"{g.Key}: {g.Count()}"))})\n{Stderr}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits for the first event that matches, whatever else the client printed (errors included); null when it exited or time ran out.</summary>
    public async Task<HubEvent?> WaitForAnyAsync(Func<HubEvent, bool> match, TimeSpan timeout)
    {
        var deadline = clock.Elapsed + timeout;
        while (clock.Elapsed < deadline)
        {
            if (Events.FirstOrDefault(match) is { } hit)
            {
                return hit;
            }

            if (process.HasExited)
            {
                await Task.WhenAll(readOut, readErr);
                return Events.FirstOrDefault(match);
            }

            await Task.Delay(50);
        }

        return null;
    }

    /// <summary>Asks the client to stop and returns its exit code.</summary>
    public async Task<int> QuitAsync()
    {
        await SendAsync("quit");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await process.WaitForExitAsync(cts.Token);
        await Task.WhenAll(readOut, readErr);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private async Task ReadOutAsync()
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            HubEvent e;
            try
            {
                var json = JsonDocument.Parse(line).RootElement.Clone();
                e = new HubEvent(json.GetProperty("type").GetString()!, json, clock.Elapsed);
            }
            catch (JsonException)
            {
                e = new HubEvent("error", JsonSerializer.SerializeToElement(new { message = "not JSON: " + line }), clock.Elapsed);
            }

            lock (events)
            {
                events.Add(e);
            }
        }
    }

    private async Task ReadErrAsync()
    {
        while (await process.StandardError.ReadLineAsync() is { } line)
        {
            lock (stderr)
            {
                stderr.Add(line);
            }
        }
    }

    /// <summary>
    /// <c>npm ci</c> once per checkout (node_modules is not committed); CI has the npm registry. Tests fail, never skip,
    /// when node or npm is missing — with a message naming what to install.
    /// </summary>
    private static async Task EnsureInstalledAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            await RunAsync("node", ["--version"], TimeSpan.FromSeconds(30));
            if (File.Exists(Path.Combine(ScriptDirectory, "node_modules", "@microsoft", "signalr", "package.json")))
            {
                return;
            }

            await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task RunAsync(string tool, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(tool)
        {
            WorkingDirectory = ScriptDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        Process p;
        try
        {
            p = Process.Start(start) ?? throw new Win32Exception($"{tool} did not start");
        }
        catch (Win32Exception ex)
        {
            throw new Xunit.Sdk.XunitException(
                $"'{tool}' is not installed or not on PATH ({ex.Message}): the hub tests run the JavaScript SignalR client and need Node.js 18+ with npm.");
        }

        using (p)
        {
            var output = p.StandardOutput.ReadToEndAsync();
            var errors = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException($"'{tool} {string.Join(' ', args)}' in {ScriptDirectory} did not finish within {timeout.TotalSeconds:0} s");
            }

            if (p.ExitCode != 0)
            {
                throw new Xunit.Sdk.XunitException(
                    $"'{tool} {string.Join(' ', args)}' in {ScriptDirectory} failed ({p.ExitCode}):\n{await output}\n{await errors}");
            }
        }
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Dashboard.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException($"no Dashboard.sln above {AppContext.BaseDirectory}: the hub tests run from a checkout");
    }
}
