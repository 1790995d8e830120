using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Wrangler.Core.Auth;

/// <summary>
/// Makes sure someone can sign in on first run: the admin from configuration, or else — only when there
/// is no account at all — an "admin" with a random password printed once to the console. Never a default password.
/// Registered after the database migrator, so the tables exist.
/// </summary>
internal sealed class FirstAdmin(AccountService accounts, IOptions<AuthOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        var admin = options.Value.Admin;
        if (!string.IsNullOrWhiteSpace(admin.Name) && !string.IsNullOrEmpty(admin.Password))
        {
            if (await accounts.FindAsync(admin.Name.Trim(), ct) is null)
            {
                await accounts.CreateAsync(admin.Name, admin.Password, Role.Admin, "configuration", ct);
            }

            return;
        }

        if (await accounts.AnyAsync(ct))
        {
            return;
        }

        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        await accounts.CreateAsync("admin", password, Role.Admin, "first run", ct);
        // The console, not the logger: log files are kept and shipped, and this secret must appear exactly once.
        Console.Out.WriteLine($"""

            Wrangler created the first account: admin / {password}
            Sign in and create your own accounts; this password is not shown again.

            """);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
