using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Wrangler.Dashboard.Api;

/// <summary>
/// Every refusal under /api and /hubs is a ProblemDetails that says what was wrong and where (docs/hardening.md):
/// request binding (bad JSON, wrong types, unknown enum values, deep nesting, a body too large, a bad query value)
/// answers 400/413/415 with an <c>errors</c> entry keyed by the field, and a status with no body (route misses, 401,
/// 403, 405) gets one.
/// </summary>
public static partial class ApiProblems
{
    /// <summary>Far above any request the API takes (a campaign naming a thousand masters is ~100 KB).</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    private const string Http415 = "415 HTTP Unsupported Media Type";
    private const string Http405 = "405 HTTP Method Not Supported";

    public static IServiceCollection AddApiProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Describe);
        // Binding failures throw in every environment (not only Development), so one handler turns each into a ProblemDetails.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>Before authentication and the endpoints: it catches what binding throws and fills empty error replies.</summary>
    public static WebApplication UseApiProblems(this WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            if (IsApi(ctx.Request) && ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = MaxBodyBytes;
            }

            try
            {
                await next(ctx);
            }
            catch (BadHttpRequestException ex) when (!ctx.Response.HasStarted)
            {
                await WriteAsync(ctx, ex);
            }
        });
        app.UseWhen(ctx => IsApi(ctx.Request), b => b.UseStatusCodePages());
        return app;
    }

    /// <summary>
    /// After authentication: routing answers a wrong Content-Type (415) or method (405) before authorization runs,
    /// which told an anonymous caller which writes exist. Under /api nobody anonymous gets past 401.
    /// </summary>
    public static WebApplication UseAuthenticationBeforeMediaType(this WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            if (IsApi(ctx.Request) && ctx.GetEndpoint()?.DisplayName is Http415 or Http405 && ctx.User.Identity?.IsAuthenticated != true)
            {
                await ctx.ChallengeAsync();
                return;
            }

            await next(ctx);
        });
        return app;
    }

    private static bool IsApi(HttpRequest r) => r.Path.StartsWithSegments("/api") || r.Path.StartsWithSegments("/hubs");

    private static async Task WriteAsync(HttpContext ctx, BadHttpRequestException ex)
    {
        var body = ctx.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        var (field, message) = Explain(ex, body, ctx.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions);
        ctx.Response.Clear();
        ctx.Response.StatusCode = ex.StatusCode;
        var problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = ex.StatusCode,
            Title = $"{field}: {message}",
        };
        await ctx.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = ctx, ProblemDetails = problem, Exception = ex });
    }

    /// <summary>The field a binding failure is about (a JSON path without "$.", a parameter name, or "body") and what is wrong with it.</summary>
    public static (string Field, string Message) Explain(BadHttpRequestException ex, Type? body, JsonSerializerOptions json)
    {
        if (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ("body", $"the request body is larger than {MaxBodyBytes / 1024} KiB");
        }

        if (ex.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return ("Content-Type", "send the body as JSON with Content-Type: application/json");
        }

        if (ex.InnerException is JsonException je)
        {
            var path = je.Path is null or "$" ? "body" : je.Path.StartsWith("$.", StringComparison.Ordinal) ? je.Path[2..] : je.Path;
            var message = je.Message;
            if (message.Contains("could not be converted to", StringComparison.Ordinal))
            {
                // The message names the record being built, not the member: find the member's type from the path.
                message = $"the value is not {Expected(body is null ? null : TypeAt(body, path == "body" ? "" : path))}";
            }
            else if (message.Contains("maximum configured depth", StringComparison.Ordinal))
            {
                message = $"the JSON is nested deeper than {(json.MaxDepth == 0 ? 64 : json.MaxDepth)} levels";
            }
            else
            {
                // Syntax errors: the reader's message says where (line and byte); the path is where it stopped.
                message = $"not valid JSON: {StripPath().Replace(message, "").TrimEnd('.', ' ')}";
            }

            return (path, message);
        }

        if (ParameterName().Match(ex.Message) is { Success: true } p)
        {
            var name = p.Groups[1].Value;
            return ex.Message.StartsWith("Required", StringComparison.Ordinal) || ex.Message.Contains("no body was provided", StringComparison.Ordinal)
                ? (name == "body" || ex.Message.Contains("from body", StringComparison.Ordinal) ? "body" : name, "is required")
                : (name, ex.Message.Contains("JSON", StringComparison.Ordinal) ? "the body is not valid JSON for this endpoint" : $"the value \"{Clip(ValueOf(ex.Message))}\" is not valid here");
        }

        return ("request", ex.Message);
    }

    /// <summary>The type of the member at a JSON path ("policy.drainTimeout", "selector.names[2]") below <paramref name="root"/>.</summary>
    public static Type? TypeAt(Type root, string path)
    {
        Type? t = root;
        foreach (var segment in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Split('[')[0];
            t = t?.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
            for (var i = segment.IndexOf('['); t is not null && i >= 0; i = segment.IndexOf('[', i + 1))
            {
                t = ElementType(t);
            }
        }

        return t is null ? null : Nullable.GetUnderlyingType(t) ?? t;
    }

    private static Type? ElementType(Type t) =>
        t.IsArray ? t.GetElementType()
        : t.GetInterfaces().Append(t).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    private static string Expected(Type? type)
    {
        if (type is { IsEnum: true })
        {
            return "one of " + string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.CamelCase.ConvertName));
        }

        return type switch
        {
            null => "of the expected type",
            _ when type == typeof(TimeSpan) => "a duration such as \"02:00:00\" (hh:mm:ss, or d.hh:mm:ss)",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time such as \"2026-12-02T22:00:00Z\"",
            _ when type == typeof(int) || type == typeof(long) => "a whole number in range",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(string) => "a string",
            _ when ElementType(type) is not null => "a list",
            _ => "an object",
        };
    }

    private static string ValueOf(string message) => BoundFrom().Match(message) is { Success: true } m ? m.Groups[1].Value : "";

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;

    // Refusals for an empty reply: a route miss, a challenge, a forbidden role, a wrong method.
    private static void Describe(ProblemDetailsContext ctx)
    {
        var p = ctx.ProblemDetails;
        var r = ctx.HttpContext.Request;
        if (p.Title is not null && p.Title != ReasonPhrase(p.Status))
        {
            return;
        }

        p.Title = p.Status switch
        {
            StatusCodes.Status404NotFound => $"path: no API endpoint {r.Method} {Clip(r.Path.Value ?? "")}; GET /openapi/v1.json lists them",
            StatusCodes.Status405MethodNotAllowed => $"method: {r.Method} is not allowed on {Clip(r.Path.Value ?? "")}",
            StatusCodes.Status401Unauthorized => "Authorization: send a token as Authorization: Bearer <token>; API writes and the hub never accept the sign-in cookie",
            StatusCodes.Status403Forbidden => "role: the token or account's role may not do this",
            StatusCodes.Status415UnsupportedMediaType => "Content-Type: send the body as JSON with Content-Type: application/json",
            _ => p.Title,
        };
    }

    private static string? ReasonPhrase(int? status) => status is { } s ? Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(s) : null;

    [GeneratedRegex(@" ?Path: \$\S* \| LineNumber: \d+ \| BytePositionInLine: \d+\.?")]
    private static partial Regex StripPath();

    [GeneratedRegex("parameter \"(?:[^\"]* )?(\\w+)\"")]
    private static partial Regex ParameterName();

    [GeneratedRegex("from \"(.*)\"\\.?$", RegexOptions.Singleline)]
    private static partial Regex BoundFrom();
}
