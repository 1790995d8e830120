using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Wrangler.Core.Campaigns;
using Wrangler.Core.Fleet;
using Wrangler.Dashboard.Api;

namespace Wrangler.Dashboard.Hubs;

/// <summary>
/// One line of a campaign step's live output, as <c>StepOutput</c> carries it: <c>source</c> "remote" is a line the
/// step's remote command printed (stdout or stderr, with its <c>step</c>), "wrangler" the runner's own progress line.
/// </summary>
public sealed record StepOutputDto(long CampaignId, string Master, string Line, StepKind? Step = null, string Source = "wrangler");

/// <summary>
/// The live event stream for external subscribers (automation, chat bots, other dashboards). Pages of this app
/// never connect here: their circuit already is a live connection (STYLE.md).
/// Server → client: <c>MasterChanged(MasterDto)</c> and <c>MasterRemoved(name)</c> to everyone,
/// <c>CampaignChanged(CampaignDto)</c> to everyone, <c>StepOutput(StepOutputDto)</c> to watchers of that campaign.
/// </summary>
// Viewers and up, checked twice on purpose: MapFleetHub's endpoint policy refuses the connection, and this attribute makes
// SignalR check each method too (a new method for operators must add its own [Authorize(Policy = ...)]).
// HubAccessFilter re-checks revocation per call. AuthMatrixHubTests walks every method × caller.
[Authorize(Policy = Wrangler.Core.Auth.Roles.Viewer)]
public sealed class FleetHub(IFleetMonitor fleet, Core.Sync.ProductionWatcher sync) : Hub
{
    public const string Path = "/hubs/fleet";

    /// <summary>The fleet now; call it after connecting, then apply <c>MasterChanged</c> on top (each carries a whole master).</summary>
    public IReadOnlyList<MasterDto> GetMasters() => [.. fleet.Current.Masters.Select(m => MasterDto.From(m, sync.Current))];

    /// <summary>
    /// Step output is per campaign and can be many lines a second, so it goes only to those who ask for it.
    /// Watch before approving to miss nothing.
    /// </summary>
    public Task WatchCampaign(long id) => Groups.AddToGroupAsync(Context.ConnectionId, CampaignGroup(id), Context.ConnectionAborted);

    public Task UnwatchCampaign(long id) => Groups.RemoveFromGroupAsync(Context.ConnectionId, CampaignGroup(id), Context.ConnectionAborted);

    internal static string CampaignGroup(long id) => $"campaign:{id}";
}
