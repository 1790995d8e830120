using System.Text.Json;
using System.Text.Json.Serialization;

namespace Wrangler.Lab;

/// <summary>One process the lab started, recorded so a later run can stop it even if we crash.</summary>
public sealed record LabPid(int Pid, string Kind, string Name);

/// <summary>
/// {Root}/lab-state.json: who owns the lab (pid + start time, so a reused pid is not mistaken for
/// the owner) and every process it started. Persistent labs (CLI `up`) have no owner.
/// </summary>
public sealed record LabStateFile(
    string Root,
    int? OwnerPid,
    long? OwnerStartTime,
    bool Persistent,
    IReadOnlyList<LabPid> Pids)
{
    public const string FileName = "lab-state.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public bool OwnerAlive =>
        OwnerPid is int pid && LabProcess.IsAlive(pid) && LabProcess.StartTime(pid) == OwnerStartTime;

    public static LabStateFile? TryRead(string root)
    {
        try
        {
            return JsonSerializer.Deserialize<LabStateFile>(File.ReadAllText(Path.Combine(root, FileName)), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write()
    {
        // Write-then-rename so a crash mid-write never leaves a half file the sweeper cannot read.
        var path = Path.Combine(Root, FileName);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>Finds labs whose owner died and stops what they left behind.</summary>
public static class LabSweeper
{
    public const string TempPrefix = "wrangler-lab-";

    /// <summary>
    /// Sweeps every /tmp/wrangler-lab-* whose recorded owner is dead: kills its recorded pids (and the
    /// pids in its twistd.pid/sshd.pid/nagios.lock files) that provably still belong to it, then removes it.
    /// Returns the directories removed.
    /// </summary>
    public static async Task<IReadOnlyList<string>> SweepStaleAsync(string? tempDir = null)
    {
        var removed = new List<string>();
        var dir = tempDir ?? Path.GetTempPath();
        foreach (var root in Directory.EnumerateDirectories(dir, TempPrefix + "*"))
        {
            var state = LabStateFile.TryRead(root);
            if (state is null)
            {
                // No state yet may be a lab being created right now; only old ones are leftovers.
                if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(root) < TimeSpan.FromMinutes(10))
                {
                    continue;
                }
            }
            else if (state.Persistent || state.OwnerAlive)
            {
                continue;
            }

            await StopProcessesAsync(root, state).ConfigureAwait(false);
            TryDelete(root);
            removed.Add(root);
        }

        return removed;
    }

    /// <summary>Stops every process recorded for <paramref name="root"/> that still belongs to it.</summary>
    public static async Task StopProcessesAsync(string root, LabStateFile? state)
    {
        var pids = new HashSet<int>(state?.Pids.Select(p => p.Pid) ?? []);
        foreach (var pidFile in PidFiles(root))
        {
            if (int.TryParse(SafeRead(pidFile).Trim(), out var pid))
            {
                pids.Add(pid);
            }
        }

        var ours = pids.Where(p => p != Environment.ProcessId && LabProcess.IsAlive(p) && LabProcess.BelongsTo(p, root)).ToList();

        // What our processes started is ours too, though it neither runs in nor names the root: above all sshd's
        // per-connection "sshd: user@notty" children and their commands, which outlive a SIGTERM to the listener and
        // kept OpenSSH mux masters connected for half an hour after CI runs. Listed before the parents die and reparent them.
        var descendants = LabProcess.DescendantsOf(ours).Where(p => p != Environment.ProcessId).ToList();
        foreach (var child in descendants)
        {
            LabProcess.Kill(child);
        }

        await LabProcess.StopAllAsync([.. ours, .. descendants], TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    public static void TryDelete(string root)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }

                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A dying daemon may still be writing its log; try again shortly.
                Thread.Sleep(200);
            }
        }
    }

    private static IEnumerable<string> PidFiles(string root)
    {
        foreach (var sub in new[] { "masters", "workers" })
        {
            var d = Path.Combine(root, sub);
            if (!Directory.Exists(d))
            {
                continue;
            }

            foreach (var f in Directory.EnumerateFiles(d, "twistd.pid", SearchOption.AllDirectories))
            {
                yield return f;
            }
        }

        yield return Path.Combine(root, "ssh", "sshd.pid");
        yield return Path.Combine(root, "nagios", "var", "nagios.lock");
    }

    private static string SafeRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : "";
        }
        catch (IOException)
        {
            return "";
        }
    }
}
