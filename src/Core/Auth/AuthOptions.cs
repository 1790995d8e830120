namespace Wrangler.Core.Auth;

/// <summary>The <c>Wrangler:Auth</c> configuration section.</summary>
public sealed class AuthOptions
{
    public const string Section = "Wrangler:Auth";

    /// <summary>Accepted as an admin API token (DESIGN.md), for first set-up and automation.</summary>
    public string? BootstrapToken { get; set; }

    /// <summary>The first admin, created on start when no account of that name exists.</summary>
    public AdminAccountOptions Admin { get; set; } = new();

    /// <summary>Failed sign-ins per name and address before further attempts are refused for a while.</summary>
    public int FreeFailures { get; set; } = 5;

    /// <summary>The first lockout after the free failures; each further failure doubles it up to <see cref="MaxLockout"/>.</summary>
    public TimeSpan FirstLockout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxLockout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a login cookie lasts without use.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);
}

public sealed class AdminAccountOptions
{
    public string? Name { get; set; }
    public string? Password { get; set; }
}
