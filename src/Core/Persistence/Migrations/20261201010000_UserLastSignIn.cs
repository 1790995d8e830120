using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Wrangler.Core.Persistence.Migrations;

// Hand-written, like Initial (see there). The admin page shows when each account last signed in.
[DbContext(typeof(WranglerDb))]
[Migration("20261201010000_UserLastSignIn")]
public sealed class UserLastSignIn : Migration
{
    protected override void Up(MigrationBuilder b) =>
        b.AddColumn<long>(name: "LastSignInAt", table: "Users", type: "INTEGER", nullable: true);

    protected override void Down(MigrationBuilder b) =>
        b.DropColumn(name: "LastSignInAt", table: "Users");
}
