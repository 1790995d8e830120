namespace Wrangler.Core.Remote;

/// <summary>Turns ssh's exit-255 stderr into a failure kind and a message a person can act on.</summary>
public static class SshErrorClassifier
{
    public static (SshFailureKind Kind, string Message) Classify(string stderr, string target)
    {
        var detail = LastMeaningfulLine(stderr);
        bool Has(string s) => stderr.Contains(s, StringComparison.OrdinalIgnoreCase);

        if (Has("REMOTE HOST IDENTIFICATION HAS CHANGED") || Has("Host key for") && Has("has changed"))
        {
            return (SshFailureKind.HostKeyMismatch,
                $"host key mismatch for {target}: the key it offered is not the one in known_hosts (possible impersonation, or the host was rebuilt)");
        }

        if (Has("Host key verification failed") || Has("No ") && Has("host key is known"))
        {
            return (SshFailureKind.HostKeyMismatch,
                $"host key mismatch for {target}: its key is not in known_hosts and strict checking is on ({detail})");
        }

        if (Has("Permission denied") || Has("Too many authentication failures") || Has("not allowed because") || Has("no mutual signature"))
        {
            return (SshFailureKind.AuthenticationRefused, $"authentication refused by {target}: {detail}");
        }

        if (Has("timed out") || Has("Operation timed out"))
        {
            return (SshFailureKind.Timeout, $"timed out connecting to {target}: {detail}");
        }

        if (Has("Connection refused") || Has("No route to host") || Has("Network is unreachable") || Has("Could not resolve hostname")
            || Has("Name or service not known") || Has("Temporary failure in name resolution") || Has("Connection reset")
            || Has("Connection closed by") || Has("kex_exchange_identification"))
        {
            return (SshFailureKind.Unreachable, $"{target} is unreachable: {detail}");
        }

        return (SshFailureKind.Other, $"ssh to {target} failed (exit 255): {(detail.Length == 0 ? "no message" : detail)}");
    }

    private static string LastMeaningfulLine(string stderr) =>
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => !l.StartsWith("@@@", StringComparison.Ordinal) && !l.StartsWith("Warning: Permanently added", StringComparison.Ordinal))
        ?? "";
}
