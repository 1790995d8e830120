using System.Net;
using System.Text.RegularExpressions;

namespace Wrangler.Dashboard.Tests.Auth;

/// <summary>An HttpClient that behaves like a browser on the login form: keeps cookies, posts the antiforgery token.</summary>
public sealed partial class SignedInClient(Uri baseAddress) : IDisposable
{
    private readonly CookieContainer cookies = new();
    private HttpClient? client;

    public SignedInClient(AppHost host)
        : this(host.BaseAddress)
    {
    }

    public HttpClient Client => client ??= new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };

    public async Task<HttpResponseMessage> PostLoginAsync(string name, string password, string returnUrl = "/")
    {
        var form = await Client.GetStringAsync("/login");
        var token = AntiforgeryField().Match(form);
        Xunit.Assert.True(token.Success, "no antiforgery field on the login page");
        return await Client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [WebUtility.HtmlDecode(token.Groups[1].Value)] = WebUtility.HtmlDecode(token.Groups[2].Value),
            ["name"] = name,
            ["password"] = password,
            ["returnUrl"] = returnUrl,
        }));
    }

    public async Task SignInAsync(string name, string password)
    {
        using var resp = await PostLoginAsync(name, password);
        Xunit.Assert.Equal(HttpStatusCode.Redirect, resp.StatusCode);
    }

    [GeneratedRegex("""<input type="hidden" name="([^"]*RequestVerificationToken[^"]*)" value="([^"]*)" />""")]
    private static partial Regex AntiforgeryField();

    public void Dispose() => client?.Dispose();
}
