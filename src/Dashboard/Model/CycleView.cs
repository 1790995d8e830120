using MudBlazor;

namespace Wrangler.Dashboard.Model;

/// <summary>How a wrangler-runner cycle phase looks: red for a halt, amber for a failed start, blue while the worker is away.</summary>
public static class CycleView
{
    public static Color Color(string phase) => phase switch
    {
        "halted" => MudBlazor.Color.Error,
        "failed" => MudBlazor.Color.Warning,
        "connected" => MudBlazor.Color.Success,
        "preflight" or "postflight" or "started" or "shutdownRequested" or "stopped" => MudBlazor.Color.Info,
        _ => MudBlazor.Color.Default,
    };
}
