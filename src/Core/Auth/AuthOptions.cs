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

    /// <summary>Sign-in by an SSO proxy in front of Wrangler, and the client address it forwards.</summary>
    public TrustedProxyOptions TrustedProxy { get; set; } = new();
}

/// <summary>The <c>Wrangler:Auth:TrustedProxy</c> section.</summary>
public sealed class TrustedProxyOptions
{
    /// <summary>Sign in whoever the proxy names in <see cref="UserHeader"/>. <see cref="Proxies"/> alone only forwards client addresses.</summary>
    public bool Enabled { get; set; }

    /// <summary>Addresses or CIDR networks of the proxies whose headers are believed; every other sender's are ignored.</summary>
    public List<string> Proxies { get; set; } = [];

    public string UserHeader { get; set; } = "X-Forwarded-User";

    /// <summary>Comma-separated group names.</summary>
    public string GroupsHeader { get; set; } = "X-Forwarded-Groups";

    /// <summary>Group name (any case) → viewer, operator or admin; a user gets the highest role any of their groups maps to.</summary>
    public Dictionary<string, string> GroupRoles { get; set; } = [];
}

public sealed class AdminAccountOptions
{
    public string? Name { get; set; }
    public string? Password { get; set; }
}
