using Wrangler.Core.Sync;

namespace Wrangler.Core.Tests.Sync;

public sealed class ProductionLogTests
{
    [Fact]
    public void The_update_step_detail_gives_each_repo_before_and_after()
    {
        // Read back what the update step writes, so a change of its wording breaks here and not in production.
        var detail = Wrangler.Core.Campaigns.StepRunner.UpdateSummary(
        [
            new("buildbotcustom", "/m/buildbotcustom", "1a2b3c4d5e6f", "1a2b3c4d5e6f", true, ""),
            new("buildbot-configs", "/m/buildbot-configs", "0123456789abcdef", "ba9876543210", true, ""),
            new("tools", "/m/tools", null, "abcdef012345", true, ""),
        ]);
        var parsed = ProductionLog.ParseUpdate(detail).ToList();
        Assert.Equal(
            [("buildbotcustom", "1a2b3c4d5e6f", "1a2b3c4d5e6f"), ("buildbot-configs", "0123456789ab", "ba9876543210"), ("tools", null, "abcdef012345")],
            parsed);
        Assert.Empty(ProductionLog.ParseUpdate(null));
    }

    [Fact]
    public void Bug_numbers_are_linked_through_the_template_and_the_rest_stays_text()
    {
        var parts = ProductionLog.LinkBugs("Bug 123 - fix; see bug 45 <script>", "https://bugzilla.example/show_bug.cgi?id={id}");
        Assert.Equal(
            [
                new MessagePart("Bug 123", "https://bugzilla.example/show_bug.cgi?id=123"),
                new MessagePart(" - fix; see ", null),
                new MessagePart("bug 45", "https://bugzilla.example/show_bug.cgi?id=45"),
                new MessagePart(" <script>", null),
            ],
            parts);
        Assert.Equal([new MessagePart("Bug 1", null)], ProductionLog.LinkBugs("Bug 1", null));
        Assert.Equal([new MessagePart("debug 12 mode", null)], ProductionLog.LinkBugs("debug 12 mode", "https://b/{id}"));
    }

    [Theory]
    [InlineData(200, "", CiVerdict.Green)]
    [InlineData(200, "{\"state\":\"success\"}", CiVerdict.Green)]
    [InlineData(200, "{\"status\":\"SUCCESS\"}", CiVerdict.Green)]
    [InlineData(200, "{\"state\":\"pending\"}", CiVerdict.NotGreen)]
    [InlineData(200, "{\"state\":\"failure\"}", CiVerdict.NotGreen)]
    [InlineData(503, "{\"state\":\"success\"}", CiVerdict.NotGreen)]
    [InlineData(404, "", CiVerdict.NotGreen)]
    public void CI_is_green_on_2xx_unless_its_json_state_says_otherwise(int status, string body, CiVerdict expected) =>
        Assert.Equal(expected, CiStatus.Interpret(status, body).Verdict);

    [Theory]
    [InlineData("abc123", true)]
    [InlineData("0123456789abcdef0123456789abcdef01234567", true)]
    [InlineData("abc12", false)]
    [InlineData("000000", false)]
    [InlineData("tip", false)]
    [InlineData("abc123) or all(", false)]
    [InlineData("123456", true)]
    public void Only_hex_revisions_reach_hg(string rev, bool ok) => Assert.Equal(ok, UpstreamMirror.IsRevision(rev));
}
