namespace Wrangler.Core.Remote;

public enum SshFailureKind
{
    HostKeyMismatch,
    AuthenticationRefused,
    Unreachable,
    Timeout,
    Other,
}

/// <summary>ssh itself failed (exit 255, or our timeout): the remote command did not run, or did not finish.</summary>
public sealed class SshException(SshFailureKind kind, string message, string target, string stderr = "", Exception? inner = null)
    : Exception(message, inner)
{
    public SshFailureKind Kind { get; } = kind;
    public string Target { get; } = target;
    public string Stderr { get; } = stderr;
}
