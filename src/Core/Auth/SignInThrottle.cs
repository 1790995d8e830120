using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Wrangler.Core.Auth;

/// <summary>
/// Slows password guessing per name and client address: a few failures are free, then each failure
/// locks that pair out for twice as long as the last (30 s, 1 min, 2 min … up to 15 min by default).
/// In memory on purpose: a restart forgives, which is fine for one process and keeps the database out of the hot path.
/// </summary>
public sealed class SignInThrottle(TimeProvider time, IOptions<AuthOptions> options)
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    private sealed record Entry(int Failures, DateTimeOffset LastFailure, DateTimeOffset LockedUntil);

    public static string Key(string name, string? address) => $"{name.Trim().ToLowerInvariant()}|{address}";

    /// <summary>How long the caller must wait before a password is even checked; null when it may try now.</summary>
    public TimeSpan? RetryAfter(string key)
    {
        var now = time.GetUtcNow();
        return entries.TryGetValue(key, out var e) && e.LockedUntil > now ? e.LockedUntil - now : null;
    }

    public void Failed(string key)
    {
        var now = time.GetUtcNow();
        var o = options.Value;
        if (entries.Count >= MaxEntries)
        {
            Prune(now, o);
        }

        entries.AddOrUpdate(key,
            _ => Lock(1, now, o),
            (_, e) => Lock(e.Failures + 1, now, o));
    }

    public void Succeeded(string key) => entries.TryRemove(key, out _);

    private static Entry Lock(int failures, DateTimeOffset now, AuthOptions o)
    {
        if (failures < o.FreeFailures)
        {
            return new Entry(failures, now, now);
        }

        var doublings = Math.Min(failures - o.FreeFailures, 20);
        var lockout = TimeSpan.FromTicks(Math.Min(o.FirstLockout.Ticks << doublings, o.MaxLockout.Ticks));
        return new Entry(failures, now, now + lockout);
    }

    // A flood of made-up names must not grow memory without bound; forgetting stale entries is harmless.
    private void Prune(DateTimeOffset now, AuthOptions o)
    {
        foreach (var (key, e) in entries)
        {
            if (e.LockedUntil <= now && now - e.LastFailure > o.MaxLockout)
            {
                entries.TryRemove(key, out _);
            }
        }
    }
}
