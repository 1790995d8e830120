using Bunit.Rendering;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;
using MudBlazor.Services;
using Wrangler.Dashboard.Model;

namespace Wrangler.Components.Tests;

/// <summary>
/// A bUnit context with MudBlazor's services and a fixed clock. Disposed asynchronously: MudBlazor's key
/// interceptor throws on a synchronous dispose (shared PLATFORM.md notes).
/// </summary>
public abstract class ComponentTest : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 12, 2, 2, 0, 0, TimeSpan.Zero);

    /// <summary>What a follower's buttons say (docs/ha.md): the same sentence its services refuse with.</summary>
    protected const string FollowerRefusal = "this Wrangler (standby) is a read-only follower; wrangler-a leads: make changes there";

    protected ComponentTest()
    {
        Ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        Ctx.Services.AddMudServices();
        Ctx.Services.AddSingleton<TimeProvider>(Clock);
        Auth = Ctx.AddAuthorization();
    }

    protected BunitContext Ctx { get; } = new();

    protected FakeTimeProvider Clock { get; } = new(T0);

    protected static WriteAccess Follower { get; } = new(false, FollowerRefusal);

    /// <summary>Who is signed in; nobody until <see cref="SignIn"/>.</summary>
    protected BunitAuthorizationContext Auth { get; }

    /// <summary>Signs in as <paramref name="name"/> holding these policies (<c>Roles.*</c>).</summary>
    protected void SignIn(string name, params string[] policies)
    {
        Auth.SetAuthorized(name);
        Auth.SetPolicies(policies);
    }

    /// <summary>
    /// A page as the layout renders it: MudBlazor's popover, dialog and snackbar hosts beside it, and this instance's
    /// write access cascaded to it (the leader's unless told).
    /// </summary>
    protected IRenderedComponent<ContainerFragment> RenderPage<TPage>(WriteAccess? writes = null, params (string Name, object? Value)[] parameters)
        where TPage : IComponent => Ctx.Render(b =>
    {
        b.OpenComponent<MudPopoverProvider>(0);
        b.CloseComponent();
        b.OpenComponent<MudDialogProvider>(1);
        b.CloseComponent();
        b.OpenComponent<MudSnackbarProvider>(2);
        b.CloseComponent();
        b.OpenComponent<CascadingValue<WriteAccess>>(3);
        b.AddAttribute(4, nameof(CascadingValue<WriteAccess>.Value), writes ?? WriteAccess.Leader);
        b.AddAttribute(5, nameof(CascadingValue<WriteAccess>.ChildContent), (RenderFragment)(c =>
        {
            c.OpenComponent<TPage>(0);
            foreach (var (name, value) in parameters)
            {
                c.AddAttribute(1, name, value);
            }

            c.CloseComponent();
        }));
        b.CloseComponent();
    });

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await Ctx.DisposeAsync();
}
