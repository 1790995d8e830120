using System.Runtime.Versioning;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Wrangler.Dashboard.Tests;

[SupportedOSPlatform("linux")]
public sealed class DataProtectionTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("wrangler-keys-").FullName;

    [Fact]
    public async Task Keys_persist_beside_the_database_so_a_restart_can_still_unprotect()
    {
        var database = $"--Wrangler:Database={Path.Combine(dir, "wrangler.db")}";
        string token;
        await using (var first = await AppHost.StartAsync(database))
        {
            token = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("cookie");
        }

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir, "keys"), "key-*.xml"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(dir, "keys")));

        await using var second = await AppHost.StartAsync(database);
        Assert.Equal("cookie", second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(token));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dir, recursive: true);
    }
}
