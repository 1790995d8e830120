using System.Net;
using System.Text;
using Wrangler.Core.Buildbot;

namespace Wrangler.Core.Tests.Buildbot;

public sealed class BuildbotClientTests
{
    /// <summary>Answers by "METHOD path?query" with canned bodies; records what was sent.</summary>
    private sealed class FakeBuildbot : HttpMessageHandler
    {
        public Dictionary<string, (HttpStatusCode Status, string Body)> Routes { get; } = [];
        public List<(string Request, string? Body)> Sent { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var key = $"{request.Method} {request.RequestUri!.PathAndQuery}";
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            Sent.Add((key, body));
            var (status, text) = Routes.TryGetValue(key, out var r) ? r : (HttpStatusCode.NotFound, "{\"error\": \"Invalid path: x\"}");
            return new HttpResponseMessage(status) { Content = new StringContent(text, Encoding.UTF8, "application/json") };
        }
    }

    private const string Workers = """
        {"workers":[{"configured_on":[{"builderid":1,"masterid":1}],"connected_to":[{"masterid":1}],
          "graceful":false,"name":"m1-w1","paused":true,"workerid":2,"workerinfo":{}},
          {"configured_on":[],"connected_to":[],"graceful":true,"name":"m1-w2","paused":false,"workerid":1,"workerinfo":{}}],"meta":{"total":2}}
        """;

    private const string Builders = """{"builders":[{"builderid":1,"description":null,"masterids":[1],"name":"m1-sleep","tags":[]}],"meta":{"total":1}}""";

    private static (BuildbotClient, FakeBuildbot) Client(Func<BuildbotMaster, Uri?>? locate = null)
    {
        var fake = new FakeBuildbot();
        fake.Routes["GET /api/v2/workers"] = (HttpStatusCode.OK, Workers);
        fake.Routes["GET /api/v2/builders"] = (HttpStatusCode.OK, Builders);
        fake.Routes["GET /api/v2/masters"] = (HttpStatusCode.OK, """{"masters":[{"active":true,"last_active":1795313303,"masterid":1,"name":"vm:/lab/master1"}],"meta":{"total":1}}""");
        return (new BuildbotClient(new HttpClient(fake), new Uri("http://127.0.0.1:18011/api/v2"), locate), fake);
    }

    [Fact]
    public async Task Reads_workers()
    {
        var (client, _) = Client();

        var workers = await client.GetWorkersAsync();

        Assert.Equal(2, workers.Count);
        Assert.Equal((2, "m1-w1", true, false), (workers[0].WorkerId, workers[0].Name, workers[0].Paused, workers[0].Graceful));
        Assert.Equal([new WorkerBuilderConfig(1, 1)], workers[0].ConfiguredOn);
        Assert.Equal([1], workers[0].ConnectedTo);
        Assert.False(workers[1].IsConnected);
        Assert.True(workers[1].Graceful);
    }

    [Fact]
    public async Task Running_builds_have_builder_and_worker_names()
    {
        var (client, fake) = Client();
        fake.Routes["GET /api/v2/builds?complete=false"] = (HttpStatusCode.OK, """
            {"builds":[{"builderid":1,"buildid":7,"buildrequestid":1,"complete":false,"complete_at":null,"masterid":1,
              "number":3,"properties":{},"results":null,"started_at":1795313314,"state_string":"building","workerid":2}],"meta":{"total":1}}
            """);

        var build = Assert.Single(await client.GetRunningBuildsAsync());

        Assert.Equal("m1-sleep", build.BuilderName);
        Assert.Equal(3, build.Number);
        Assert.Equal("m1-w1", build.WorkerName);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795313314), build.StartedAt);
    }

    [Fact]
    public async Task Pending_requests()
    {
        var (client, fake) = Client();
        fake.Routes["GET /api/v2/buildrequests?complete=false"] = (HttpStatusCode.OK, """
            {"buildrequests":[{"builderid":1,"buildrequestid":4,"buildsetid":1,"claimed":false,"claimed_at":null,
              "claimed_by_masterid":null,"complete":false,"complete_at":null,"priority":0,"properties":null,"results":-1,
              "submitted_at":1795313314,"waited_for":false}],"meta":{"total":1}}
            """);

        var request = Assert.Single(await client.GetPendingRequestsAsync());

        Assert.Equal(new PendingBuildRequest(4, 1, "m1-sleep", false, null, DateTimeOffset.FromUnixTimeSeconds(1795313314)), request);
    }

    [Fact]
    public async Task Worker_control_is_a_json_rpc_post_by_id()
    {
        var (client, fake) = Client();
        fake.Routes["GET /api/v2/workers?name=m1-w1"] = (HttpStatusCode.OK, Workers.Replace("\"name\":\"m1-w2\"", "\"name\":\"zz\"", StringComparison.Ordinal));
        fake.Routes["POST /api/v2/workers/2"] = (HttpStatusCode.OK, """{"id":1,"jsonrpc":"2.0","result":null}""");

        await client.ControlWorkerAsync("m1-w1", WorkerAction.GracefulStop, "maintenance");

        var post = fake.Sent.Single(s => s.Request.StartsWith("POST", StringComparison.Ordinal));
        Assert.Contains("\"method\":\"stop\"", post.Body, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"maintenance\"", post.Body, StringComparison.Ordinal);
        Assert.Contains("\"jsonrpc\":\"2.0\"", post.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_worker_is_a_clear_error()
    {
        var (client, fake) = Client();
        fake.Routes["GET /api/v2/workers?name=nosuch"] = (HttpStatusCode.OK, """{"workers":[],"meta":{"total":0}}""");

        var ex = await Assert.ThrowsAsync<BuildbotApiException>(() => client.ControlWorkerAsync("nosuch", WorkerAction.Pause, "x"));

        Assert.Equal(BuildbotErrorKind.UnknownWorker, ex.Kind);
        Assert.Contains("nosuch", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_3_7_internal_error_for_a_vanished_worker_means_unknown_worker()
    {
        var (client, fake) = Client();
        fake.Routes["GET /api/v2/workers?name=m1-w1"] = (HttpStatusCode.OK, Workers);
        fake.Routes["POST /api/v2/workers/2"] = (HttpStatusCode.InternalServerError,
            """{"error": {"code": -32603, "message": "AttributeError(\"module 'buildbot.data.exceptions' has no attribute 'exceptions'\")"}, "id": 1, "jsonrpc": "2.0"}""");

        var ex = await Assert.ThrowsAsync<BuildbotApiException>(() => client.ControlWorkerAsync("m1-w1", WorkerAction.Pause, "x"));

        Assert.Equal(BuildbotErrorKind.UnknownWorker, ex.Kind);
    }

    [Fact]
    public async Task Control_goes_to_the_master_the_worker_is_connected_to()
    {
        var other = new Uri("http://127.0.0.1:18012/api/v2");
        var (client, fake) = Client(m => m.Name == "vm:/lab/master2" ? other : null);
        fake.Routes["GET /api/v2/masters"] = (HttpStatusCode.OK, """
            {"masters":[{"active":true,"last_active":1,"masterid":1,"name":"vm:/lab/master1"},{"active":true,"last_active":1,"masterid":2,"name":"vm:/lab/master2"}],"meta":{"total":2}}
            """);
        fake.Routes["GET /api/v2/workers?name=m1-w1"] = (HttpStatusCode.OK, Workers.Replace("\"connected_to\":[{\"masterid\":1}]", "\"connected_to\":[{\"masterid\":2}]", StringComparison.Ordinal));
        fake.Routes["POST /api/v2/workers/2"] = (HttpStatusCode.OK, """{"id":1,"jsonrpc":"2.0","result":null}""");

        await client.ControlWorkerAsync("m1-w1", WorkerAction.Pause, "x");

        var post = fake.Sent.Single(s => s.Request.StartsWith("POST", StringComparison.Ordinal));
        Assert.Equal("POST /api/v2/workers/2", post.Request);
        Assert.Contains(fake.Sent, s => s.Request == "GET /api/v2/masters");
    }

    [Fact]
    public async Task Control_refuses_to_guess_when_the_connected_master_is_unknown()
    {
        var (client, fake) = Client();
        fake.Routes["GET /api/v2/masters"] = (HttpStatusCode.OK, """
            {"masters":[{"active":true,"masterid":1,"name":"vm:/lab/master1"},{"active":true,"masterid":2,"name":"vm:/lab/master2"}],"meta":{"total":2}}
            """);
        fake.Routes["GET /api/v2/workers?name=m1-w1"] = (HttpStatusCode.OK, Workers.Replace("\"connected_to\":[{\"masterid\":1}]", "\"connected_to\":[{\"masterid\":2}]", StringComparison.Ordinal));

        var ex = await Assert.ThrowsAsync<BuildbotApiException>(() => client.ControlWorkerAsync("m1-w1", WorkerAction.Pause, "x"));

        Assert.Equal(BuildbotErrorKind.WrongMaster, ex.Kind);
        Assert.DoesNotContain(fake.Sent, s => s.Request.StartsWith("POST", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Http_errors_and_unreachable_masters_are_typed()
    {
        var (client, _) = Client();
        var notFound = await Assert.ThrowsAsync<BuildbotApiException>(() => client.GetRunningBuildsAsync());
        Assert.Equal(BuildbotErrorKind.Http, notFound.Kind);
        Assert.Equal(404, notFound.StatusCode);

        var dead = new BuildbotClient(new HttpClient(), new Uri("http://127.0.0.1:1/api/v2"));
        var ex = await Assert.ThrowsAsync<BuildbotApiException>(() => dead.GetMastersAsync());
        Assert.Equal(BuildbotErrorKind.Unreachable, ex.Kind);
    }
}
