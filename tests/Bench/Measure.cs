using System.Diagnostics;
using System.Globalization;

namespace Wrangler.Bench;

/// <summary>One row of the table: a name, the samples (ms) and, when it has one, the row it is compared with.</summary>
internal sealed record Row(string Section, string Name, IReadOnlyList<double> Samples, string Unit = "ms", string? Note = null)
{
    public double Median => Stats.Percentile(Samples, 50);

    public double P95 => Stats.Percentile(Samples, 95);
}

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> xs, int p)
    {
        if (xs.Count == 0)
        {
            return double.NaN;
        }

        var sorted = xs.Order().ToList();
        var rank = (sorted.Count - 1) * p / 100.0;
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public static async Task<double> TimeAsync(Func<Task> run)
    {
        var sw = Stopwatch.StartNew();
        await run().ConfigureAwait(false);
        return sw.Elapsed.TotalMilliseconds;
    }

    public static string F(double x) => double.IsNaN(x) ? "–" : x.ToString(x >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);
}

/// <summary>A child process run to completion, its output kept for the error message when it fails.</summary>
internal static class Proc
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}");
        }

        var output = await stdout.ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} exited {p.ExitCode}: {await stderr.ConfigureAwait(false)}{output}");
        }

        return output;
    }
}
