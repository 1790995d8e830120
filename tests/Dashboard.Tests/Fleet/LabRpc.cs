using System.Text;
using System.Text.Json;

namespace Wrangler.Dashboard.Tests.Fleet;

public static class LabRpc
{
    /// <summary>Worker control sent straight to Buildbot's JSON-RPC, as a person with the Buildbot UI would.</summary>
    public static async Task WorkerAsync(FleetLabFixture f, string apiUrl, string worker, string method)
    {
        var body = JsonSerializer.Serialize(new { jsonrpc = "2.0", method, id = 1, @params = new { reason = "fleet lab test" } });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var resp = await f.Lab.Http.PostAsync($"{apiUrl}/workers/{worker}", content);
        Assert.True(resp.IsSuccessStatusCode, $"{method} {worker}: {(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
    }
}
