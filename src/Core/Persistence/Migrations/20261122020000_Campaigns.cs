using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wrangler.Core.Persistence.Migrations;

// Hand-written, like Initial (see there).
[DbContext(typeof(WranglerDb))]
[Migration("20261122020000_Campaigns")]
public sealed class CampaignTables : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable(
            name: "Campaigns",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                Kind = t.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                State = t.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                StateDetail = t.Column<string>(type: "TEXT", nullable: true),
                RequestJson = t.Column<string>(type: "TEXT", nullable: false),
                PlanJson = t.Column<string>(type: "TEXT", nullable: false),
                CreatedBy = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                CreatedAt = t.Column<long>(type: "INTEGER", nullable: false),
                ApprovedBy = t.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                ApprovedAt = t.Column<long>(type: "INTEGER", nullable: true),
                ApprovedThroughWave = t.Column<int>(type: "INTEGER", nullable: false),
                StartedAt = t.Column<long>(type: "INTEGER", nullable: true),
                EndedAt = t.Column<long>(type: "INTEGER", nullable: true),
                Reason = t.Column<string>(type: "TEXT", nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_Campaigns", x => x.Id));
        b.CreateTable(
            name: "Approvals",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                CampaignId = t.Column<long>(type: "INTEGER", nullable: false),
                Wave = t.Column<int>(type: "INTEGER", nullable: true),
                By = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                At = t.Column<long>(type: "INTEGER", nullable: false),
            },
            constraints: t => t.PrimaryKey("PK_Approvals", x => x.Id));
        b.CreateTable(
            name: "Ledger",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                CampaignId = t.Column<long>(type: "INTEGER", nullable: false),
                Master = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                Effect = t.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                CreatedAt = t.Column<long>(type: "INTEGER", nullable: false),
                UndoneAt = t.Column<long>(type: "INTEGER", nullable: true),
                Detail = t.Column<string>(type: "TEXT", nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_Ledger", x => x.Id));
        b.CreateTable(
            name: "CampaignMasters",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                CampaignId = t.Column<long>(type: "INTEGER", nullable: false),
                Master = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                Bucket = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                Wave = t.Column<int>(type: "INTEGER", nullable: false),
                Slot = t.Column<int>(type: "INTEGER", nullable: false),
                State = t.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                Detail = t.Column<string>(type: "TEXT", nullable: true),
                StartedAt = t.Column<long>(type: "INTEGER", nullable: true),
                EndedAt = t.Column<long>(type: "INTEGER", nullable: true),
                WorkersBefore = t.Column<int>(type: "INTEGER", nullable: true),
                PendingDecision = t.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
            },
            constraints: t =>
            {
                t.PrimaryKey("PK_CampaignMasters", x => x.Id);
                t.ForeignKey("FK_CampaignMasters_Campaigns_CampaignId", x => x.CampaignId, "Campaigns", "Id", onDelete: ReferentialAction.Cascade);
            });
        b.CreateTable(
            name: "Steps",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                CampaignMasterId = t.Column<long>(type: "INTEGER", nullable: false),
                Seq = t.Column<int>(type: "INTEGER", nullable: false),
                Kind = t.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                State = t.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                StartedAt = t.Column<long>(type: "INTEGER", nullable: true),
                EndedAt = t.Column<long>(type: "INTEGER", nullable: true),
                Detail = t.Column<string>(type: "TEXT", nullable: true),
            },
            constraints: t =>
            {
                t.PrimaryKey("PK_Steps", x => x.Id);
                t.ForeignKey("FK_Steps_CampaignMasters_CampaignMasterId", x => x.CampaignMasterId, "CampaignMasters", "Id", onDelete: ReferentialAction.Cascade);
            });
        b.CreateIndex(name: "IX_Campaigns_State", table: "Campaigns", column: "State");
        b.CreateIndex(name: "IX_Approvals_CampaignId", table: "Approvals", column: "CampaignId");
        b.CreateIndex(name: "IX_Ledger_CampaignId_Master", table: "Ledger", columns: ["CampaignId", "Master"]);
        b.CreateIndex(name: "IX_CampaignMasters_CampaignId_Master", table: "CampaignMasters", columns: ["CampaignId", "Master"], unique: true);
        b.CreateIndex(name: "IX_CampaignMasters_Master_State", table: "CampaignMasters", columns: ["Master", "State"]);
        b.CreateIndex(name: "IX_Steps_CampaignMasterId_Seq", table: "Steps", columns: ["CampaignMasterId", "Seq"], unique: true);
    }

    protected override void Down(MigrationBuilder b)
    {
        b.DropTable(name: "Steps");
        b.DropTable(name: "CampaignMasters");
        b.DropTable(name: "Ledger");
        b.DropTable(name: "Approvals");
        b.DropTable(name: "Campaigns");
    }
}
