using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;

namespace Wrangler.Components.Tests;

/// <summary>
/// A bUnit context with MudBlazor's services and a fixed clock. Disposed asynchronously: MudBlazor's key
/// interceptor throws on a synchronous dispose (shared PLATFORM.md notes).
/// </summary>
public abstract class ComponentTest : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 12, 2, 2, 0, 0, TimeSpan.Zero);

    protected ComponentTest()
    {
        Ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        Ctx.Services.AddMudServices();
        Ctx.Services.AddSingleton<TimeProvider>(Clock);
    }

    protected BunitContext Ctx { get; } = new();

    protected FakeTimeProvider Clock { get; } = new(T0);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await Ctx.DisposeAsync();
}
