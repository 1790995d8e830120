using Microsoft.AspNetCore.Components;
using Wrangler.Core.Auth;
using Wrangler.Core.Buildbot;
using Wrangler.Core.Fleet;
using Wrangler.Core.Workers;
using Wrangler.Dashboard.Auth;
using Wrangler.Dashboard.Components.Controls;
using Wrangler.Dashboard.Model;

namespace Wrangler.Dashboard.Components.Pages;

public sealed partial class Workers
{
    private readonly HashSet<string> selected = new(StringComparer.Ordinal);
    private IReadOnlyList<WorkerView> all = [];
    private string? pool;
    private string? state;
    private string? liveness;
    private string? reason;
    private int idleHours = 24;
    private string? message;
    private bool messageBad;
    private int renderQueued;
    private ITimer? clock;

    [Inject] public required WorkerTracker Tracker { get; init; }
    [Inject] public required WorkerControl Control { get; init; }
    [Inject] public required IFleetMonitor Fleet { get; init; }
    [Inject] public required TimeProvider Time { get; init; }
    [Inject] public required UserAccess Access { get; init; }
    [Inject] public required MudBlazor.IDialogService Dialogs { get; init; }

    [CascadingParameter] public WriteAccess Writes { get; set; } = WriteAccess.Leader;

    /// <summary>The master page links here with <c>?master=</c>.</summary>
    [SupplyParameterFromQuery(Name = "master")]
    public string? MasterFilter { get; set; }

    private DateTimeOffset Now => Time.GetUtcNow();

    private IReadOnlyList<PoolGroup> Groups => WorkerGroups.Group(all, new WorkerFilter(
        Empty(pool), Empty(MasterFilter),
        Enum.TryParse<WorkerStatus>(state, true, out var s) ? s : null,
        Enum.TryParse<Liveness>(liveness, true, out var l) ? l : null), Fleet.Current.Masters);

    protected override void OnInitialized()
    {
        all = Tracker.List();
        Tracker.Changed += OnChanged;

        // Liveness changes with time alone (a worker gone longer than MissingAfter turns critical with no event), so
        // an open page reads the list again every few seconds as well.
        clock = Time.CreateTimer(_ => OnChanged(), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
    }

    // Events come in bursts (a build, a reconnect): one render per quarter second is enough.
    private void OnChanged()
    {
        if (Interlocked.Exchange(ref renderQueued, 1) == 1)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            try
            {
                await Task.Delay(250);
                Volatile.Write(ref renderQueued, 0);
                all = Tracker.List();
                StateHasChanged();
            }
            catch (ObjectDisposedException)
            {
            }
        });
    }

    private List<string> Selected(PoolGroup g) => [.. g.Workers.Select(r => r.Worker.Name).Where(selected.Contains)];

    private void Toggle(string name, bool on)
    {
        if (on)
        {
            selected.Add(name);
        }
        else
        {
            selected.Remove(name);
        }
    }

    private async Task ActOnSelectionAsync(PoolGroup g, WorkerAction action)
    {
        var names = Selected(g);
        if (names.Count > Tracker.Options.SelectionCap)
        {
            Say($"{names.Count} workers selected in {g.Pool}; at most {Tracker.Options.SelectionCap} at once (Wrangler:Workers:SelectionCap).", bad: true);
            return;
        }

        await ActAsync(names, action);
        if (!messageBad)
        {
            foreach (var n in names)
            {
                selected.Remove(n);
            }
        }
    }

    private async Task ActAsync(IReadOnlyList<string> names, WorkerAction action)
    {
        if (await ActorAsync("control workers") is not { } actor)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            Say("Give a reason first.", bad: true);
            return;
        }

        // A kill loses the build a worker is running: asked first, like every destructive action.
        if (action == WorkerAction.Kill && !await ConfirmDialog.AskAsync(Dialogs, names.Count == 1 ? $"Kill {names[0]}?" : $"Kill {names.Count} workers?",
                "Running builds are lost and retried elsewhere; a graceful shutdown would let them finish.", "Kill", "confirm-kill"))
        {
            return;
        }

        var failed = new List<string>();
        foreach (var n in names)
        {
            try
            {
                await Control.ControlAsync(n, action, reason, null, actor, CancellationToken.None);
            }
            catch (WorkerRefusedException ex)
            {
                failed.Add(ex.Message);
            }
        }

        all = Tracker.List();
        Say(failed.Count == 0 ? $"{WorkerControl.Word(action)} sent to {string.Join(", ", names)}." : string.Join(" ", failed), bad: failed.Count > 0);
    }

    private async Task MarkIdleAsync(string name)
    {
        if (await ActorAsync("mark workers idle") is not { } actor)
        {
            return;
        }

        try
        {
            await Control.MarkExpectedIdleAsync(name, reason, Now.AddHours(Math.Clamp(idleHours, 1, 2160)), actor, CancellationToken.None);
            all = Tracker.List();
            Say($"{name} is expected idle for {idleHours} h.", bad: false);
        }
        catch (WorkerRefusedException ex)
        {
            Say(ex.Message, bad: true);
        }
    }

    private async Task ClearIdleAsync(string name)
    {
        if (await ActorAsync("unmark workers") is not { } actor)
        {
            return;
        }

        try
        {
            await Control.ClearExpectedIdleAsync(name, actor, CancellationToken.None);
            all = Tracker.List();
            Say($"{name} is no longer expected idle.", bad: false);
        }
        catch (WorkerRefusedException ex)
        {
            Say(ex.Message, bad: true);
        }
    }

    /// <summary>
    /// The operator acting, or null (said on the page) when they may not: every handler asks again, since a circuit
    /// can invoke a handler whose button was never shown, and a follower refuses what the API refuses (docs/ha.md).
    /// </summary>
    private async Task<string?> ActorAsync(string what)
    {
        if (await Access.ActorIfAllowedAsync(Roles.Operator) is not { } actor)
        {
            Say($"Only operators may {what}.", bad: true);
            return null;
        }

        if (!Writes.Allowed)
        {
            Say(Writes.Refusal!, bad: true);
            return null;
        }

        return actor;
    }

    private void Say(string text, bool bad)
    {
        message = text;
        messageBad = bad;
    }

    private static string? Empty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    public void Dispose()
    {
        Tracker.Changed -= OnChanged;
        clock?.Dispose();
    }
}
