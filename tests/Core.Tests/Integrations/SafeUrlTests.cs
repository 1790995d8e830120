using Wrangler.Core.Integrations;

namespace Wrangler.Core.Tests.Integrations;

public sealed class SafeUrlTests
{
    [Theory]
    [InlineData("http://user:pw@alloc.example:8080/api/masters/bm01?key=k", true, "http://alloc.example:8080/api/masters/bm01?…")]
    [InlineData("https://hooks.slack.example/services/T0/B0/secret", false, "https://hooks.slack.example/…")]
    [InlineData("https://hooks.example/", false, "https://hooks.example/")]
    [InlineData("http://127.0.0.1:9/hook?token=t", false, "http://127.0.0.1:9/…?…")]
    public void Shows_neither_credentials_nor_query_nor_a_webhook_path(string url, bool keepPath, string expected) =>
        Assert.Equal(expected, SafeUrl.Show(new Uri(url), keepPath));
}
