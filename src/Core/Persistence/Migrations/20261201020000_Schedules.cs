using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wrangler.Core.Persistence.Migrations;

// Hand-written before the model snapshot, like Initial (see there). Quartz's own QRTZ_* tables are not here: Quartz
// provisions them itself (src/Core/Scheduling/SchedulingServiceCollectionExtensions.cs).
[DbContext(typeof(WranglerDb))]
[Migration("20261201020000_Schedules")]
public sealed class ScheduleTables : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable(
            name: "Schedules",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                Name = t.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                Kind = t.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                RequestJson = t.Column<string>(type: "TEXT", nullable: false),
                Cron = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                TimeZone = t.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                Window = t.Column<TimeSpan>(type: "TEXT", nullable: false),
                Misfire = t.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                Enabled = t.Column<bool>(type: "INTEGER", nullable: false),
                Owner = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                CreatedAt = t.Column<long>(type: "INTEGER", nullable: false),
                UpdatedAt = t.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: t => t.PrimaryKey("PK_Schedules", x => x.Id));
        b.CreateTable(
            name: "ExcludedDates",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                Date = t.Column<DateOnly>(type: "TEXT", nullable: false),
                Reason = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                CreatedBy = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                CreatedAt = t.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: t => t.PrimaryKey("PK_ExcludedDates", x => x.Id));
        b.CreateIndex(name: "IX_Schedules_Name", table: "Schedules", column: "Name", unique: true);
        b.CreateIndex(name: "IX_ExcludedDates_Date", table: "ExcludedDates", column: "Date", unique: true);
        b.AddColumn<long>(name: "ScheduleId", table: "Campaigns", type: "INTEGER", nullable: true);
        b.AddColumn<long>(name: "NotAfter", table: "Campaigns", type: "INTEGER", nullable: true);
        b.CreateIndex(name: "IX_Campaigns_ScheduleId", table: "Campaigns", column: "ScheduleId");
    }

    protected override void Down(MigrationBuilder b)
    {
        b.DropIndex(name: "IX_Campaigns_ScheduleId", table: "Campaigns");
        b.DropColumn(name: "NotAfter", table: "Campaigns");
        b.DropColumn(name: "ScheduleId", table: "Campaigns");
        b.DropTable(name: "ExcludedDates");
        b.DropTable(name: "Schedules");
    }
}
