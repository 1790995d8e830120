using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wrangler.Core.Persistence.Migrations;

// Hand-written, like Initial (see there).
[DbContext(typeof(WranglerDb))]
[Migration("20261123000000_Auth")]
public sealed class AuthTables : Migration
{
    protected override void Up(MigrationBuilder b)
    {
        b.CreateTable(
            name: "Users",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                Name = t.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                PasswordHash = t.Column<string>(type: "TEXT", nullable: false),
                Role = t.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                CreatedAt = t.Column<long>(type: "INTEGER", nullable: false),
                Disabled = t.Column<bool>(type: "INTEGER", nullable: false),
            },
            constraints: t => t.PrimaryKey("PK_Users", x => x.Id));
        b.CreateTable(
            name: "ApiTokens",
            columns: t => new
            {
                Id = t.Column<long>(type: "INTEGER", nullable: false).Annotation("Sqlite:Autoincrement", true),
                Name = t.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                Hash = t.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                Role = t.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                CreatedBy = t.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                CreatedAt = t.Column<long>(type: "INTEGER", nullable: false),
                LastUsedAt = t.Column<long>(type: "INTEGER", nullable: true),
                RevokedAt = t.Column<long>(type: "INTEGER", nullable: true),
            },
            constraints: t => t.PrimaryKey("PK_ApiTokens", x => x.Id));
        b.CreateIndex(name: "IX_Users_Name", table: "Users", column: "Name", unique: true);
        b.CreateIndex(name: "IX_ApiTokens_Hash", table: "ApiTokens", column: "Hash", unique: true);
    }

    protected override void Down(MigrationBuilder b)
    {
        b.DropTable(name: "ApiTokens");
        b.DropTable(name: "Users");
    }
}
