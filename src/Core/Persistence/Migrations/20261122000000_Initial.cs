using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wrangler.Core.Persistence.Migrations;

// Written by hand: the EF design-time package does not restore here (PLATFORM.md). The test
// MigrationsMatchModel proves each migration set produces exactly the schema the model asks for.
[DbContext(typeof(WranglerDb))]
[Migration("20261122000000_Initial")]
public sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable(
            name: "AuditEvents",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                At = t.Column<long>(type: "INTEGER", nullable: false),
                Actor = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                Kind = t.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                Subject = t.Column<string>(type: "TEXT", nullable: false),
                Detail = t.Column<string>(type: "TEXT", nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_AuditEvents", x => x.Id));
        b.CreateIndex(name: "IX_AuditEvents_At", table: "AuditEvents", column: "At");
    }

    protected override void Down(MigrationBuilder b) => b.DropTable(name: "AuditEvents");
}
