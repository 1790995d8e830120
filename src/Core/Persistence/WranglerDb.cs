using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Wrangler.Core.Persistence;

public sealed class WranglerDb(DbContextOptions<WranglerDb> options) : DbContext(options)
{
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<MasterSnapshotRecord> MasterSnapshots => Set<MasterSnapshotRecord>();
    public DbSet<MasterStateChangeRecord> MasterStateChanges => Set<MasterStateChangeRecord>();

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
        b.Entity<MasterSnapshotRecord>(e =>
        {
            e.ToTable("MasterSnapshots");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.Status).HasMaxLength(40);
        });
        b.Entity<MasterStateChangeRecord>(e =>
        {
            e.ToTable("MasterStateChanges");
            e.HasIndex(x => new { x.Master, x.At });
            e.Property(x => x.Master).HasMaxLength(200);
            e.Property(x => x.From).HasMaxLength(40);
            e.Property(x => x.To).HasMaxLength(40);
        });
    }

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.UtcTicks,
        v => new DateTimeOffset(v, TimeSpan.Zero));
}
