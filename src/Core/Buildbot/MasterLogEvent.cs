namespace Wrangler.Core.Buildbot;

public enum MasterLogEventKind
{
    Started,
    StartupFailed,
    ReconfigBegun,
    ReconfigComplete,
    ReconfigAborted,
    ReconfigPartiallyApplied,
    CleanShutdownInitiated,
    WaitingForBuilds,
    ShutDown,
}

/// <summary>A marker line from a master's twistd.log. <see cref="Builds"/> is set for <see cref="MasterLogEventKind.WaitingForBuilds"/>.</summary>
public sealed record MasterLogEvent(MasterLogEventKind Kind, DateTimeOffset At, string Line, int? Builds = null);
