using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Options;
using Wrangler.Core.Auth;
using Wrangler.Core.Persistence;
using Wrangler.Core.Tests.Demo;

namespace Wrangler.Core.Tests.Auth;

public sealed class SignInThrottleTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Five_failures_are_free_then_each_failure_doubles_the_lockout_up_to_the_maximum()
    {
        var t = new SignInThrottle(time, Options.Create(new AuthOptions()));
        var key = SignInThrottle.Key("Alice ", "10.0.0.1");
        for (var i = 0; i < 4; i++)
        {
            t.Failed(key);
            Assert.Null(t.RetryAfter(key));
        }

        t.Failed(key);
        Assert.Equal(TimeSpan.FromSeconds(30), t.RetryAfter(key));
        Assert.Null(t.RetryAfter(SignInThrottle.Key("alice", "10.0.0.2")));
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Null(t.RetryAfter(key));
        t.Failed(key);
        Assert.Equal(TimeSpan.FromMinutes(1), t.RetryAfter(key));
        for (var i = 0; i < 10; i++)
        {
            t.Failed(key);
        }

        Assert.Equal(TimeSpan.FromMinutes(15), t.RetryAfter(key));
        t.Succeeded(key);
        Assert.Null(t.RetryAfter(key));
    }

    [Fact]
    public void Csv_quotes_separators_and_defuses_spreadsheet_formulas()
    {
        var csv = AuditLog.ToCsv([new AuditEvent { At = time.GetUtcNow(), Actor = "=HYPERLINK(\"x\")", Kind = "campaign.create", Subject = "a,b", Detail = "line1\nline2" }]);
        Assert.Equal("at,actor,kind,subject,detail\r\n2026-11-23T09:00:00Z,\"'=HYPERLINK(\"\"x\"\")\",campaign.create,\"a,b\",\"line1\nline2\"\r\n", csv);
    }
}
