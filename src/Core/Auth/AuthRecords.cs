namespace Wrangler.Core.Auth;

/// <summary>A local account; the password is stored only as a <c>PasswordHasher</c> hash.</summary>
public sealed class UserAccount
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string PasswordHash { get; set; }
    public Role Role { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public bool Disabled { get; set; }

    // Last in the class: SQLite's ADD COLUMN appends, and the migration test compares with the model's column order.
    public DateTimeOffset? LastSignInAt { get; set; }

    /// <summary><see cref="Input.InputRules.NameKey"/> of the name: unique, so names differ by more than case.</summary>
    public string NameKey { get; set; } = "";
}

/// <summary>An API token for automation; only the SHA-256 of the secret is kept, so the database never holds a usable token.</summary>
public sealed class ApiToken
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public required string Hash { get; set; }
    public Role Role { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
