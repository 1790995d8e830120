using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wrangler.Core.Persistence.Migrations;

// Hand-written, like Initial (see there).
[DbContext(typeof(WranglerDb))]
[Migration("20261122010000_MasterStateTables")]
public sealed class MasterStateTables : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable(
            name: "MasterSnapshots",
            columns: t => new
            {
                Name = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                UpdatedAt = t.Column<long>(type: "INTEGER", nullable: false),
                Status = t.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                Json = t.Column<string>(type: "TEXT", nullable: false),
            },
            constraints: t => t.PrimaryKey("PK_MasterSnapshots", x => x.Name));
        b.CreateTable(
            name: "MasterStateChanges",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                Master = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                At = t.Column<long>(type: "INTEGER", nullable: false),
                From = t.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                To = t.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                Detail = t.Column<string>(type: "TEXT", nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_MasterStateChanges", x => x.Id));
        b.CreateIndex(name: "IX_MasterStateChanges_Master_At", table: "MasterStateChanges", columns: ["Master", "At"]);
    }

    protected override void Down(MigrationBuilder b)
    {
        b.DropTable(name: "MasterStateChanges");
        b.DropTable(name: "MasterSnapshots");
    }
}
