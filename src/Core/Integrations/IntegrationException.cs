namespace Wrangler.Core.Integrations;

/// <summary>
/// An outside system (allocator, Nagios) refused or did not take a change. The message is meant for the
/// campaign page as it is: it names the system, what was asked, and the answer (status and body) or the timeout.
/// </summary>
public sealed class IntegrationException(string integration, string message, int? statusCode = null, string? responseBody = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>"allocator" or "nagios".</summary>
    public string Integration { get; } = integration;

    /// <summary>The HTTP status of a refused request; null for failures that had no response.</summary>
    public int? StatusCode { get; } = statusCode;

    public string? ResponseBody { get; } = responseBody;
}
