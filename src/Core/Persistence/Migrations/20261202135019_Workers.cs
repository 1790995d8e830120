using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Wrangler.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Workers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "WorkerEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Worker = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Master = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkerEvents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Workers",
                columns: table => new
                {
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    FirstSeenAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ConnectedMaster = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    LastConnectedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastDisconnectedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastBuildStartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastBuildFinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastBuildResult = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    LastBuildMaster = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    LastBuildBuilder = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    LastBuildNumber = table.Column<int>(type: "INTEGER", nullable: true),
                    LastBuildUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    LastCycleReportAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastCyclePhase = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    IdleReason = table.Column<string>(type: "TEXT", nullable: true),
                    IdleBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    IdleUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    PausedUntil = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Workers", x => x.Name);
                });

            migrationBuilder.CreateIndex(
                name: "IX_WorkerEvents_Worker_At",
                table: "WorkerEvents",
                columns: new[] { "Worker", "At" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "WorkerEvents");

            migrationBuilder.DropTable(
                name: "Workers");
        }
    }
}
