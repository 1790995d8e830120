namespace Wrangler.Core.Auth;

/// <summary>
/// What a signed-in person or token may do. Viewer, operator and admin each include the ones below them.
/// Reporter stands apart: a token only, for wrangler-runner on a worker host (docs/runner.md), that may send cycle
/// reports and nothing else, so a token stolen from a worker can neither read the fleet nor act on it.
/// </summary>
public enum Role
{
    Viewer = 1,
    Operator = 2,
    Admin = 3,
    Reporter = 10,
}

public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";
    public const string Reporter = "reporter";

    public static string Name(this Role role) => role switch
    {
        Role.Viewer => Viewer,
        Role.Operator => Operator,
        Role.Admin => Admin,
        Role.Reporter => Reporter,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>The roles a person (account or SSO group) may hold: every role but <see cref="Role.Reporter"/>.</summary>
    public static IReadOnlyList<Role> People { get; } = [Role.Viewer, Role.Operator, Role.Admin];

    public static bool IsPersonRole(this Role role) => People.Contains(role);

    /// <summary>The role and every role it includes: an admin principal carries "admin", "operator" and "viewer", so a policy is one role check. A reporter carries only "reporter".</summary>
    public static IEnumerable<string> Granted(this Role role) =>
        role == Role.Reporter ? [Reporter] : People.Where(r => r <= role).Select(Name);

    public static bool TryParse(string? text, out Role role)
    {
        role = default;
        return text is not null && Enum.TryParse(text, ignoreCase: true, out role) && Enum.IsDefined(role);
    }
}
