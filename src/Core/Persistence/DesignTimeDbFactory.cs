using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Wrangler.Core.Persistence;

/// <summary>What `dotnet ef` builds the model from (Core is a library with no host); the file is never opened.</summary>
internal sealed class DesignTimeDbFactory : IDesignTimeDbContextFactory<WranglerDb>
{
    public WranglerDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<WranglerDb>();
        DatabaseSetup.Configure(options, "design-time.db");
        return new WranglerDb(options.Options);
    }
}
