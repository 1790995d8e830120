using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wrangler.Core.Persistence.Migrations;

// Hand-written, like Initial (see there): the production log, freezes, and what auto-reconfig started.
[DbContext(typeof(WranglerDb))]
[Migration("20261201030000_Sync")]
public sealed class SyncTables : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable(
            name: "RevisionEvents",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                CampaignId = t.Column<long>(type: "INTEGER", nullable: false),
                Master = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                Repo = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                Before = t.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                After = t.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                At = t.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: t => t.PrimaryKey("PK_RevisionEvents", x => x.Id));
        b.CreateIndex(name: "IX_RevisionEvents_CampaignId_Master", table: "RevisionEvents", columns: ["CampaignId", "Master"]);
        b.CreateTable(
            name: "Freezes",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                SetBy = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                Reason = t.Column<string>(type: "TEXT", nullable: false),
                SetAt = t.Column<long>(type: "INTEGER", nullable: false),
                LiftedBy = t.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                LiftReason = t.Column<string>(type: "TEXT", nullable: true),
                LiftedAt = t.Column<long>(type: "INTEGER", nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_Freezes", x => x.Id));
        b.CreateTable(
            name: "AutoReconfigs",
            columns: t => new
            {
                CampaignId = t.Column<long>(type: "INTEGER", nullable: false),
                Tips = t.Column<string>(type: "TEXT", nullable: false),
                CreatedAt = t.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: t => t.PrimaryKey("PK_AutoReconfigs", x => x.CampaignId));
    }

    protected override void Down(MigrationBuilder b)
    {
        b.DropTable(name: "AutoReconfigs");
        b.DropTable(name: "Freezes");
        b.DropTable(name: "RevisionEvents");
    }
}
