using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Wrangler.Core.Persistence;

public sealed class WranglerDb(DbContextOptions<WranglerDb> options) : DbContext(options)
{
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // SQLite cannot order or compare DateTimeOffset natively; UTC ticks keep ordering exact.
        builder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<AuditEvent>(e =>
        {
            e.ToTable("AuditEvents");
            e.HasIndex(x => x.At);
            e.Property(x => x.Actor).HasMaxLength(200);
            e.Property(x => x.Kind).HasMaxLength(100);
        });
    }

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.UtcTicks,
        v => new DateTimeOffset(v, TimeSpan.Zero));
}
