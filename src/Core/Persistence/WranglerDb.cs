using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Wrangler.Core.Persistence;

public sealed class WranglerDb(DbContextOptions<WranglerDb> options) : DbContext(options)
{
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<MasterSnapshotRecord> MasterSnapshots => Set<MasterSnapshotRecord>();
    public DbSet<MasterStateChangeRecord> MasterStateChanges => Set<MasterStateChangeRecord>();
    public DbSet<CampaignRecord> Campaigns => Set<CampaignRecord>();
    public DbSet<CampaignMasterRecord> CampaignMasters => Set<CampaignMasterRecord>();
    public DbSet<StepRecord> Steps => Set<StepRecord>();
    public DbSet<ApprovalRecord> Approvals => Set<ApprovalRecord>();
    public DbSet<LedgerEntryRecord> Ledger => Set<LedgerEntryRecord>();
    public DbSet<Auth.UserAccount> Users => Set<Auth.UserAccount>();
    public DbSet<Auth.ApiToken> Tokens => Set<Auth.ApiToken>();
    public DbSet<ScheduleRecord> Schedules => Set<ScheduleRecord>();
    public DbSet<ExcludedDateRecord> ExcludedDates => Set<ExcludedDateRecord>();
    public DbSet<RevisionEventRecord> RevisionEvents => Set<RevisionEventRecord>();
    public DbSet<FreezeRecord> Freezes => Set<FreezeRecord>();
    public DbSet<AutoReconfigRecord> AutoReconfigs => Set<AutoReconfigRecord>();
    public DbSet<Workers.WorkerRecord> Workers => Set<Workers.WorkerRecord>();
    public DbSet<Workers.WorkerEventRecord> WorkerEvents => Set<Workers.WorkerEventRecord>();
    public DbSet<TipMoveRecord> TipMoves => Set<TipMoveRecord>();
    public DbSet<BehindSinceRecord> BehindSince => Set<BehindSinceRecord>();
    public DbSet<LeaseRecord> Leases => Set<LeaseRecord>();
    public DbSet<Workers.CycleReportRecord> CycleReports => Set<Workers.CycleReportRecord>();

    protected override void ConfigureConventions(ModelConfigurationBuilder builder)
    {
        // SQLite cannot order or compare DateTimeOffset natively; UTC ticks keep ordering exact.
        builder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();

        // States and kinds as words: the database is read by people during incidents.
        builder.Properties<Campaigns.CampaignKind>().HaveConversion<string>().HaveMaxLength(40);
        builder.Properties<Campaigns.CampaignState>().HaveConversion<string>().HaveMaxLength(40);
        builder.Properties<Campaigns.MasterRunState>().HaveConversion<string>().HaveMaxLength(40);
        builder.Properties<Campaigns.StepState>().HaveConversion<string>().HaveMaxLength(40);
        builder.Properties<Campaigns.StepKind>().HaveConversion<string>().HaveMaxLength(40);
        builder.Properties<LedgerEffect>().HaveConversion<string>().HaveMaxLength(40);
        builder.Properties<Auth.Role>().HaveConversion<string>().HaveMaxLength(20);
        builder.Properties<Scheduling.MisfirePolicy>().HaveConversion<string>().HaveMaxLength(20);
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
        b.Entity<CampaignRecord>(e =>
        {
            e.ToTable("Campaigns");
            e.HasIndex(x => x.State);
            e.Property(x => x.CreatedBy).HasMaxLength(200);
            e.Property(x => x.ApprovedBy).HasMaxLength(200);
            e.HasIndex(x => x.ScheduleId);
            e.HasMany(x => x.Masters).WithOne().HasForeignKey(x => x.CampaignId);
        });
        b.Entity<CampaignMasterRecord>(e =>
        {
            e.ToTable("CampaignMasters");
            e.HasIndex(x => new { x.CampaignId, x.Master }).IsUnique();
            e.HasIndex(x => new { x.Master, x.State });
            e.Property(x => x.Master).HasMaxLength(200);
            e.Property(x => x.Bucket).HasMaxLength(200);
            // Lower-case words, as the column has always held ("escalate", "retry", "skip").
            e.Property(x => x.PendingDecision).HasMaxLength(40)
                .HasConversion(d => d!.Value.ToString().ToLowerInvariant(), s => Enum.Parse<Campaigns.MasterDecision>(s, true));
            e.HasMany(x => x.Steps).WithOne().HasForeignKey(x => x.CampaignMasterId);
        });
        b.Entity<StepRecord>(e =>
        {
            e.ToTable("Steps");
            e.HasIndex(x => new { x.CampaignMasterId, x.Seq }).IsUnique();
        });
        b.Entity<ApprovalRecord>(e =>
        {
            e.ToTable("Approvals");
            e.HasIndex(x => x.CampaignId);
            e.Property(x => x.By).HasMaxLength(200);
        });
        b.Entity<LedgerEntryRecord>(e =>
        {
            e.ToTable("Ledger");
            e.HasIndex(x => new { x.CampaignId, x.Master });
            e.Property(x => x.Master).HasMaxLength(200);
        });
        b.Entity<Auth.UserAccount>(e =>
        {
            e.ToTable("Users");
            e.HasIndex(x => x.Name).IsUnique();
            e.HasIndex(x => x.NameKey).IsUnique();
            e.Property(x => x.Name).HasMaxLength(100);
        });
        b.Entity<Auth.ApiToken>(e =>
        {
            e.ToTable("ApiTokens");
            e.HasIndex(x => x.Hash).IsUnique();
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Hash).HasMaxLength(64);
            e.Property(x => x.CreatedBy).HasMaxLength(200);
        });
        b.Entity<ScheduleRecord>(e =>
        {
            e.ToTable("Schedules");
            e.HasIndex(x => x.Name).IsUnique();
            e.HasIndex(x => x.NameKey).IsUnique();
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Cron).HasMaxLength(200);
            e.Property(x => x.TimeZone).HasMaxLength(100);
            e.Property(x => x.Owner).HasMaxLength(200);
        });
        b.Entity<ExcludedDateRecord>(e =>
        {
            e.ToTable("ExcludedDates");
            e.HasIndex(x => x.Date).IsUnique();
            e.Property(x => x.Reason).HasMaxLength(200);
            e.Property(x => x.CreatedBy).HasMaxLength(200);
        });
        b.Entity<RevisionEventRecord>(e =>
        {
            e.ToTable("RevisionEvents");
            e.HasIndex(x => new { x.CampaignId, x.Master });
            e.Property(x => x.Master).HasMaxLength(200);
            e.Property(x => x.Repo).HasMaxLength(200);
            e.Property(x => x.Before).HasMaxLength(64);
            e.Property(x => x.After).HasMaxLength(64);
        });
        b.Entity<FreezeRecord>(e =>
        {
            e.ToTable("Freezes");
            e.Property(x => x.SetBy).HasMaxLength(200);
            e.Property(x => x.LiftedBy).HasMaxLength(200);
        });
        b.Entity<AutoReconfigRecord>(e =>
        {
            e.ToTable("AutoReconfigs");
            e.HasKey(x => x.CampaignId);
            e.Property(x => x.CampaignId).ValueGeneratedNever();
        });
        b.Entity<Workers.WorkerRecord>(e =>
        {
            e.ToTable("Workers");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.ConnectedMaster).HasMaxLength(200);
            e.Property(x => x.LastBuildResult).HasMaxLength(20);
            e.Property(x => x.LastBuildMaster).HasMaxLength(200);
            e.Property(x => x.LastBuildBuilder).HasMaxLength(200);
            e.Property(x => x.LastBuildUrl).HasMaxLength(500);
            e.Property(x => x.LastCyclePhase).HasMaxLength(40);
            e.Property(x => x.IdleBy).HasMaxLength(200);
        });
        b.Entity<Workers.WorkerEventRecord>(e =>
        {
            e.ToTable("WorkerEvents");
            e.HasIndex(x => new { x.Worker, x.At });
            e.Property(x => x.Worker).HasMaxLength(200);
            e.Property(x => x.Master).HasMaxLength(200);
            e.Property(x => x.Kind).HasMaxLength(20);
        });
        b.Entity<TipMoveRecord>(e =>
        {
            e.ToTable("TipMoves");
            e.HasKey(x => new { x.Repo, x.Branch });
            e.Property(x => x.Repo).HasMaxLength(200);
            e.Property(x => x.Branch).HasMaxLength(200);
            e.Property(x => x.Revision).HasMaxLength(64);
        });
        b.Entity<BehindSinceRecord>(e =>
        {
            e.ToTable("BehindSince");
            e.HasKey(x => x.Master);
            e.Property(x => x.Master).HasMaxLength(200);
        });
        b.Entity<LeaseRecord>(e =>
        {
            e.ToTable("Leases");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(40);
            e.Property(x => x.Owner).HasMaxLength(40);
            e.Property(x => x.Holder).HasMaxLength(200);
            e.Property(x => x.Host).HasMaxLength(200);
            e.Property(x => x.Url).HasMaxLength(500);
            e.Property(x => x.Version).IsConcurrencyToken();
        });
        b.Entity<Workers.CycleReportRecord>(e =>
        {
            e.ToTable("CycleReports");
            e.HasIndex(x => new { x.Worker, x.At });
            e.Property(x => x.Worker).HasMaxLength(200);
            e.Property(x => x.Phase).HasMaxLength(40);
            e.Property(x => x.Detail).HasMaxLength(Wrangler.Core.Workers.CycleReports.MaxDetail);
        });
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RevealAuditText();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RevealAuditText();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    // The audit log records what a stranger typed (a failed sign-in's name, a proxy's header) as well as what was
    // checked: invisible and control characters are stored as visible [U+XXXX], so "\u202enimda" can never read as
    // "admin" on the audit page, in the CSV or in the API (docs/hardening.md).
    private void RevealAuditText()
    {
        foreach (var e in ChangeTracker.Entries<AuditEvent>().Where(x => x.State == EntityState.Added).Select(x => x.Entity))
        {
            e.Actor = Input.InputRules.Reveal(e.Actor);
            e.Subject = Input.InputRules.Reveal(e.Subject);
            e.Detail = e.Detail is null ? null : Input.InputRules.Reveal(e.Detail, keepLineBreaks: true);
        }
    }

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.UtcTicks,
        v => new DateTimeOffset(v, TimeSpan.Zero));
}
