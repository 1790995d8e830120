using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Wrangler.Core.Input;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Auth;

public enum SignInOutcome
{
    Succeeded,
    Failed,
    Throttled,
}

public sealed record SignInResult(SignInOutcome Outcome, UserAccount? Account = null, TimeSpan? RetryAfter = null);

public sealed record UserView(long Id, string Name, Role Role, DateTimeOffset CreatedAt, bool Disabled, DateTimeOffset? LastSignInAt = null);

/// <summary>Local accounts: create, verify a password (throttled and audited), enable or disable.</summary>
public sealed class AccountService(IDbContextFactory<WranglerDb> dbs, SignInThrottle throttle, TimeProvider time)
{
    public const int MinPasswordLength = InputRules.MinPassword;

    private static readonly PasswordHasher<UserAccount> Hasher = new();

    // Verifying against this when the name is unknown keeps the time the same, so timing does not reveal which names exist.
    private static readonly string DummyHash = Hasher.HashPassword(new UserAccount { Name = "", PasswordHash = "" }, Guid.NewGuid().ToString());

    public async Task<SignInResult> SignInAsync(string name, string password, string? address, CancellationToken ct)
    {
        name = name.Trim();
        // No account can have a longer password (CreateAsync refuses it), so it fails like a wrong one, without hashing a megabyte.
        var tooLong = password.Length > InputRules.MaxPassword;
        password = tooLong ? "" : password;
        var key = SignInThrottle.Key(name, address);
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (throttle.RetryAfter(key) is { } wait)
        {
            await AuditAsync(db, name, "auth.signin.throttled", $"refused without checking the password; retry in {Math.Ceiling(wait.TotalSeconds)} s", address, ct);
            return new SignInResult(SignInOutcome.Throttled, RetryAfter: wait);
        }

        var account = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        var verdict = Hasher.VerifyHashedPassword(account ?? new UserAccount { Name = name, PasswordHash = "" }, account?.PasswordHash ?? DummyHash, password);
        if (account is null || account.Disabled || tooLong || verdict == PasswordVerificationResult.Failed)
        {
            throttle.Failed(key);
            await AuditAsync(db, name, "auth.signin.failed", account is { Disabled: true } ? "account disabled" : "wrong name or password", address, ct);
            return new SignInResult(SignInOutcome.Failed);
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            account.PasswordHash = Hasher.HashPassword(account, password);
        }

        throttle.Succeeded(key);
        account.LastSignInAt = time.GetUtcNow();
        await AuditAsync(db, account.Name, "auth.signin", null, address, ct);
        return new SignInResult(SignInOutcome.Succeeded, account);
    }

    public async Task<UserView> CreateAsync(string? name, string? password, Role role, string actor, CancellationToken ct)
    {
        if ((InputRules.NameProblem("name", name) ?? InputRules.PasswordProblem("password", password)) is { } problem)
        {
            throw new AuthRefusedException(problem);
        }

        name = name!.Trim();
        if (!role.IsPersonRole())
        {
            throw new AuthRefusedException("role must be viewer, operator or admin (reporter is for tokens only)");
        }

        // Unique without regard to case: "ADMIN" beside "admin" reads as the same person in the audit log.
        var key = InputRules.NameKey(name);
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.Users.Where(u => u.NameKey == key).Select(u => u.Name).FirstOrDefaultAsync(ct) is { } taken)
        {
            throw new AuthRefusedException(taken == name ? $"name: an account named '{name}' exists" : $"name: '{name}' differs only in case from the account '{taken}'; names are unique without regard to case", 409);
        }

        var account = new UserAccount { Name = name, NameKey = key, PasswordHash = "", Role = role, CreatedAt = time.GetUtcNow() };
        account.PasswordHash = Hasher.HashPassword(account, password!);
        db.Users.Add(account);
        db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = actor, Kind = "auth.user.create", Subject = $"user {name}", Detail = role.Name() });
        await db.SaveChangesAsync(ct);
        return View(account);
    }

    /// <summary>Raised after an account is disabled or its role changes, so its long-lived connections can be closed. Must not block.</summary>
    public event Action<string>? Restricted;

    public async Task<UserView?> SetDisabledAsync(string name, bool disabled, string actor, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var account = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (account is null)
        {
            return null;
        }

        if (disabled && account.Name == actor)
        {
            // Nobody locks themselves out by a slip; another admin can do it.
            throw new AuthRefusedException("you cannot disable your own account", 409);
        }

        account.Disabled = disabled;
        db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = actor, Kind = disabled ? "auth.user.disable" : "auth.user.enable", Subject = $"user {name}" });
        await db.SaveChangesAsync(ct);
        if (disabled)
        {
            Restricted?.Invoke(account.Name);
        }
        return View(account);
    }

    /// <summary>Changes an account's role; its open sessions are re-checked and end at their next request.</summary>
    public async Task<UserView?> SetRoleAsync(string name, Role role, string actor, CancellationToken ct)
    {
        if (!role.IsPersonRole())
        {
            throw new AuthRefusedException("a role is viewer, operator or admin (reporter is for tokens only)");
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var account = await db.Users.FirstOrDefaultAsync(u => u.Name == name, ct);
        if (account is null)
        {
            return null;
        }

        if (account.Name == actor && role < account.Role)
        {
            throw new AuthRefusedException("you cannot lower your own role; another admin can", 409);
        }

        if (account.Role != role)
        {
            db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = actor, Kind = "auth.user.role", Subject = $"user {name}", Detail = $"{account.Role.Name()} → {role.Name()}" });
            account.Role = role;
            await db.SaveChangesAsync(ct);
            Restricted?.Invoke(account.Name);
        }

        return View(account);
    }

    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return [.. (await db.Users.AsNoTracking().OrderBy(u => u.Name).ToListAsync(ct)).Select(View)];
    }

    /// <summary>The account as it is now, for checking that a session's account still exists, is enabled and has the same role.</summary>
    public async Task<UserView?> FindAsync(string name, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().Where(u => u.Name == name).Select(u => new UserView(u.Id, u.Name, u.Role, u.CreatedAt, u.Disabled, u.LastSignInAt)).FirstOrDefaultAsync(ct);
    }

    public async Task<bool> AnyAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AnyAsync(ct);
    }

    public async Task AuditSignOutAsync(string name, string? address, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await AuditAsync(db, name, "auth.signout", null, address, ct);
    }

    private async Task AuditAsync(WranglerDb db, string actor, string kind, string? detail, string? address, CancellationToken ct)
    {
        // The name a stranger typed is stored as typed but bounded; it is shown as text, never as markup.
        var who = actor.Length > 200 ? actor[..200] : actor;
        db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = who, Kind = kind, Subject = $"from {address ?? "unknown address"}", Detail = detail });
        await db.SaveChangesAsync(ct);
    }

    private static UserView View(UserAccount a) => new(a.Id, a.Name, a.Role, a.CreatedAt, a.Disabled, a.LastSignInAt);
}

/// <summary>A refused account or token change, with the HTTP status it maps to.</summary>
public sealed class AuthRefusedException(string message, int statusCode = 400) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
