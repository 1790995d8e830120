namespace Wrangler.Core.Auth;

/// <summary>What a signed-in person or token may do; each role includes the ones below it.</summary>
public enum Role
{
    Viewer = 1,
    Operator = 2,
    Admin = 3,
}

public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    public static string Name(this Role role) => role switch
    {
        Role.Viewer => Viewer,
        Role.Operator => Operator,
        Role.Admin => Admin,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>The role and every role it includes: an admin principal carries "admin", "operator" and "viewer", so a policy is one role check.</summary>
    public static IEnumerable<string> Granted(this Role role) =>
        Enum.GetValues<Role>().Where(r => r <= role).Select(Name);

    public static bool TryParse(string? text, out Role role)
    {
        role = default;
        return text is not null && Enum.TryParse(text, ignoreCase: true, out role) && Enum.IsDefined(role);
    }
}
