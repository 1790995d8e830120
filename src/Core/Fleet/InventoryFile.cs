using Microsoft.Extensions.Logging;

namespace Wrangler.Core.Fleet;

/// <summary>
/// The inventory file, reloaded when it changes. A refused edit never replaces the inventory in force: the last
/// good one stays, and <see cref="Status"/> lists every problem so the UI can show them.
/// </summary>
public sealed class InventoryFile : IInventorySource, IDisposable
{
    private readonly string path;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly FileSystemWatcher? watcher;
    private readonly ITimer timer;
    private readonly ITimer settle;
    private readonly Lock gate = new();
    private (DateTime Written, long Length)? seen;
    private IReadOnlyList<MasterInfo> masters = [];
    private InventoryStatus status;

    public InventoryFile(string path, TimeProvider time, ILogger<InventoryFile> logger, TimeSpan? checkEvery = null)
    {
        this.path = Path.GetFullPath(path);
        this.time = time;
        this.logger = logger;
        status = new InventoryStatus(this.path, false, 0, time.GetUtcNow(), [], "not loaded yet", null);
        Reload();

        // Editors write in pieces; reading 250 ms after the last event avoids refusing a half-written file.
        settle = time.CreateTimer(_ => Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        // The watcher gives changes at once; the timer catches what watchers miss (network mounts, editors that
        // replace the directory entry, events lost under load).
        var dir = Path.GetDirectoryName(this.path)!;
        if (Directory.Exists(dir))
        {
            watcher = new FileSystemWatcher(dir, Path.GetFileName(this.path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
            };
            watcher.Changed += (_, _) => Settle();
            watcher.Created += (_, _) => Settle();
            watcher.Renamed += (_, _) => Settle();
            watcher.EnableRaisingEvents = true;
        }

        var every = checkEvery ?? TimeSpan.FromSeconds(2);
        timer = time.CreateTimer(_ => Reload(), null, every, every);
    }

    public IReadOnlyList<MasterInfo> Masters => Volatile.Read(ref masters);

    public InventoryStatus Status => Volatile.Read(ref status);

    public event Action? Changed;

    /// <summary>Reads the file if it changed since the last look. Returns true if it was read.</summary>
    public bool Reload()
    {
        bool changed;
        lock (gate)
        {
            changed = ReloadLocked();
        }

        if (changed)
        {
            Changed?.Invoke();
        }

        return changed;
    }

    private bool ReloadLocked()
    {
        var now = time.GetUtcNow();
        (DateTime, long)? stamp;
        string text;
        try
        {
            var info = new FileInfo(path);
            stamp = info.Exists ? (info.LastWriteTimeUtc, info.Length) : null;
            if (stamp == seen && seen is not null)
            {
                return false;
            }

            if (stamp is null)
            {
                return Refuse(null, $"cannot read {path}: the file does not exist", now);
            }

            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            // Often an editor mid-write; the next look sees the finished file.
            return Refuse(null, $"cannot read {path}: {ex.Message}", now);
        }
        catch (UnauthorizedAccessException ex)
        {
            return Refuse(null, $"cannot read {path}: {ex.Message}", now);
        }

        seen = stamp;
        var result = InventoryParser.Parse(text);
        if (!result.IsValid)
        {
            return Refuse(result.Problems, $"{path} refused: {result.Problems.Count} problem(s); the previous inventory stays in force", now);
        }

        Volatile.Write(ref masters, result.Masters);
        Volatile.Write(ref status, new InventoryStatus(path, false, result.Masters.Count, now, [], null, null));
        logger.LogInformation("Inventory {Path} loaded: {Count} masters", path, result.Masters.Count);
        return true;
    }

    private bool Refuse(IReadOnlyList<InventoryProblem>? problems, string error, DateTimeOffset now)
    {
        var previous = Status;
        var next = previous with { Problems = problems ?? [], Error = error, FailedAt = now };
        if (previous.Error == next.Error && previous.Problems.SequenceEqual(next.Problems))
        {
            return false;
        }

        Volatile.Write(ref status, next);
        logger.LogWarning("Inventory {Path} refused: {Error} {Problems}", path, error, string.Join("; ", next.Problems));
        return true;
    }

    private void Settle() => settle.Change(TimeSpan.FromMilliseconds(250), Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        watcher?.Dispose();
        timer.Dispose();
        settle.Dispose();
    }
}
