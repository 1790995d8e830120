namespace Wrangler.Dashboard.Model;

/// <summary>
/// Turns a burst of change notifications into one refresh after a short delay: the refresh always reads the
/// latest state, so nothing is missed, and a page is re-rendered at most once per interval.
/// </summary>
public sealed class Coalescer(TimeSpan interval, Func<Task> refresh, TimeProvider time)
{
    private int scheduled;

    public void Poke()
    {
        if (Interlocked.Exchange(ref scheduled, 1) == 0)
        {
            _ = RunAsync();
        }
    }

    private async Task RunAsync()
    {
        await Task.Delay(interval, time);
        Interlocked.Exchange(ref scheduled, 0);
        try
        {
            await refresh();
        }
        catch (ObjectDisposedException)
        {
            // The page went away between the change and the refresh.
        }
    }
}
