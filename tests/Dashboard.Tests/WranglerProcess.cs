using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Wrangler.Dashboard.Tests;

/// <summary>
/// Wrangler as its own process, for tests that kill or stop it and start it again on the same database: an
/// in-process host cannot be SIGKILLed or outlive its test's fixtures.
/// </summary>
public static class WranglerProcess
{
    /// <summary>Starts the built Dashboard with <paramref name="args"/>; its stdout and stderr lines go to <paramref name="output"/>.</summary>
    public static Process Start(string[] args, ConcurrentQueue<string> output)
    {
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "Wrangler.Dashboard"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        p.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>An orderly stop (SIGTERM), as a deploy or a reboot of Wrangler's host does it.</summary>
    public static async Task StopAsync(Process p)
    {
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
    }

    /// <summary>Kills (with their trees) the test's Wrangler processes still running, and disposes all of them.</summary>
    public static async Task KillAllAsync(params Process?[] processes)
    {
        foreach (var p in processes)
        {
            if (p is { HasExited: false })
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }

            p?.Dispose();
        }
    }

    public static async Task WaitHealthyAsync(HttpClient http, ConcurrentQueue<string> output)
    {
        for (var i = 0; i < 600; i++)
        {
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        throw new Xunit.Sdk.XunitException("Wrangler did not become healthy within 120 s; its output:\n" + string.Join("\n", output.TakeLast(30)));
    }
}
