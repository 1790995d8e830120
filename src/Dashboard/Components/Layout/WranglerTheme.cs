using MudBlazor;

namespace Wrangler.Dashboard.Components.Layout;

/// <summary>
/// One palette per theme. State colours keep their meaning in both (green running, blue in progress, amber stopped or
/// behind, red unreachable); the dark ones are lighter so they read on the dark surface, and each state also carries
/// an icon (Controls/StatePill.razor) so red and green are never the only difference.
/// </summary>
public static class WranglerTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#5e35b1",
            AppbarBackground = "#283593",
            Success = "#2e7d32",
            Info = "#1565c0",
            Warning = "#b26a00",
            Error = "#c62828",
            Background = "#f5f6fa",
            Surface = "#ffffff",
            DrawerBackground = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9fa8da",
            Secondary = "#b39ddb",
            AppbarBackground = "#1a1d2e",
            Success = "#66bb6a",
            Info = "#64b5f6",
            Warning = "#ffb74d",
            Error = "#ef5350",
            Background = "#121318",
            Surface = "#1c1e26",
            DrawerBackground = "#181a21",
            TextPrimary = "#e6e6eb",
            TextSecondary = "#a9abb6",
            LinesDefault = "#33364a",
            TableLines = "#2c2f40",
        },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "12rem" },
    };
}
