namespace Wrangler.Core.Demo;

internal static class DemoCall
{
    // Exceptions surface from the returned task, as they would from a real async call.
    public static Task<T> Run<T>(Func<T> call, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(ct);
        }

        try
        {
            return Task.FromResult(call());
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }
}
