using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Wrangler.Core.Persistence;

namespace Wrangler.Core.Auth;

public sealed record TokenView(long Id, string Name, Role Role, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>Who a presented bearer token speaks for; Id is null for the bootstrap token.</summary>
public sealed record TokenIdentity(string Name, Role Role, long? Id = null);

/// <summary>API tokens: shown once at creation, stored as SHA-256 (the secret is 32 random bytes, so a slow hash adds nothing), revocable.</summary>
public sealed class TokenService(IDbContextFactory<WranglerDb> dbs, IOptions<AuthOptions> options, TimeProvider time)
{
    public const string BootstrapName = "bootstrap";
    private const string Prefix = "wr_";

    // Writing on every request would turn each API read into a database write; a minute is precise enough for "last used".
    private static readonly TimeSpan LastUsedGranularity = TimeSpan.FromMinutes(1);

    /// <remarks>Token names need not be unique: a rotated token keeps its name, and the revoked one stays listed beside it.</remarks>
    public async Task<(TokenView Token, string Secret)> CreateAsync(string? name, Role role, string actor, CancellationToken ct)
    {
        if (Input.InputRules.NameProblem("name", name) is { } problem)
        {
            throw new AuthRefusedException(problem);
        }

        name = name!.Trim();
        if (!Enum.IsDefined(role))
        {
            throw new AuthRefusedException("role must be viewer, operator, admin or reporter");
        }

        var secret = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = new ApiToken { Name = name, Hash = Hash(secret), Role = role, CreatedBy = actor, CreatedAt = time.GetUtcNow() };
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Tokens.Add(token);
        db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = actor, Kind = "auth.token.create", Subject = $"token {name}", Detail = role.Name() });
        await db.SaveChangesAsync(ct);
        return (View(token), secret);
    }

    /// <summary>Raised after a token is revoked, so long-lived connections (the hub) made with it can be closed at once. Must not block.</summary>
    public event Action<long>? Revoked;

    public async Task<TokenView?> RevokeAsync(long id, string actor, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var token = await db.Tokens.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (token is null)
        {
            return null;
        }

        if (token.RevokedAt is null)
        {
            token.RevokedAt = time.GetUtcNow();
            db.AuditEvents.Add(new AuditEvent { At = time.GetUtcNow(), Actor = actor, Kind = "auth.token.revoke", Subject = $"token {token.Name}", Detail = $"id {id}" });
            await db.SaveChangesAsync(ct);
            Revoked?.Invoke(id);
        }

        return View(token);
    }

    public async Task<IReadOnlyList<TokenView>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return [.. (await db.Tokens.AsNoTracking().OrderByDescending(t => t.CreatedAt).ToListAsync(ct)).Select(View)];
    }

    /// <summary>The identity behind a presented token, or null for an unknown or revoked one.</summary>
    public async Task<TokenIdentity?> AuthenticateAsync(string presented, CancellationToken ct)
    {
        var hash = Hash(presented);
        if (options.Value.BootstrapToken is { Length: > 0 } bootstrap
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(Hash(bootstrap))))
        {
            return new TokenIdentity(BootstrapName, Role.Admin);
        }

        if (!presented.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var token = await db.Tokens.FirstOrDefaultAsync(t => t.Hash == hash, ct);
        if (token is null || token.RevokedAt is not null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (token.LastUsedAt is not { } last || now - last >= LastUsedGranularity)
        {
            token.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }

        return new TokenIdentity(token.Name, token.Role, token.Id);
    }

    /// <summary>Whether a token is still usable, for connections that outlive the request that authenticated them (the hub).</summary>
    public async Task<bool> IsActiveAsync(long id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Tokens.AnyAsync(t => t.Id == id && t.RevokedAt == null, ct);
    }

    // Looking up by hash is safe against timing: an attacker cannot choose the hash of a guess.
    public static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static TokenView View(ApiToken t) => new(t.Id, t.Name, t.Role, t.CreatedBy, t.CreatedAt, t.LastUsedAt, t.RevokedAt);
}
