namespace Wrangler.Core.Remote;

/// <summary>A remote command that ran. A non-zero exit is the command's answer, not an error of the transport.</summary>
public sealed record RemoteResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;
}

public enum OutputStream
{
    Stdout,
    Stderr,
}

public readonly record struct OutputLine(OutputStream Stream, string Text);
