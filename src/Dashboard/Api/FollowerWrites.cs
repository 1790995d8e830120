using Wrangler.Core.Leases;

namespace Wrangler.Dashboard.Api;

/// <summary>
/// On a follower (docs/ha.md) every API write answers 503 with a ProblemDetails naming the leader, instead of being
/// forwarded: the caller learns where to send it, and nothing half-applies here. Reads are served as usual.
/// </summary>
public static class FollowerWrites
{
    public const string LeaderHeader = "X-Wrangler-Leader";

    /// <summary>After authorization, so a caller without the right still gets its 401 or 403 first.</summary>
    public static WebApplication UseFollowerWrites(this WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            var lease = ctx.RequestServices.GetRequiredService<LeaderLease>();
            if (lease.IsLeader || !ctx.Request.Path.StartsWithSegments("/api") || HttpMethods.IsGet(ctx.Request.Method)
                || HttpMethods.IsHead(ctx.Request.Method) || HttpMethods.IsOptions(ctx.Request.Method))
            {
                await next(ctx);
                return;
            }

            var view = lease.Current;
            ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            if (view.Leader is { } leader)
            {
                ctx.Response.Headers[LeaderHeader] = leader;
            }

            await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: lease.Refusal, extensions: new Dictionary<string, object?>
            {
                ["instance"] = view.Instance,
                ["leader"] = view.Leader,
                ["leaderUrl"] = view.LeaderUrl,
            }).ExecuteAsync(ctx);
        });
        return app;
    }
}
