using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wrangler.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RunnerCycles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "LastCycleDetail",
                table: "Workers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LastCycleStartedAt",
                table: "Workers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CycleReports",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Worker = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Phase = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Detail = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CycleReports", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CycleReports_Worker_At",
                table: "CycleReports",
                columns: new[] { "Worker", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CycleReports");

            migrationBuilder.DropColumn(
                name: "LastCycleDetail",
                table: "Workers");

            migrationBuilder.DropColumn(
                name: "LastCycleStartedAt",
                table: "Workers");
        }
    }
}
