using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Argus.Gateway.Tests;

/// <summary>
/// GET /v1/auditmanager/health, /version and /config answer in the seed's envelope
/// (<c>id</c>, envelope <c>version</c>, <c>responsetime</c>): health is UP only while Postgres
/// answers, version tells the build, config shows the effective tunables and never a secret.
/// </summary>
public sealed class CloudEventsOperationsTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    public const string BasePath = "/v1/auditmanager";

    private readonly HttpClient client = fixture.Client;

    [Fact]
    public async Task Health_answers_200_UP_in_the_envelope_while_postgres_answers()
    {
        var before = DateTimeOffset.UtcNow;

        using var response = await client.GetAsync(BasePath + "/health");

        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        AssertEnvelope(body, before, DateTimeOffset.UtcNow);
        Assert.Equal("UP", (string?)body["status"]);
        Assert.Equal(["id", "responsetime", "status", "version"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Health_answers_503_DOWN_while_postgres_refuses_connections_and_UP_again_after()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Argus:Silo:RoutingTimeout"] = "00:00:01",
            ["Argus:Writer:CommitTimeout"] = "00:00:01",
        });

        await using (var outage = await PostgresOutage.BeginAsync(database))
        {
            var before = DateTimeOffset.UtcNow;
            using var down = await node.Client.GetAsync(BasePath + "/health");
            var body = await down.ReadObjectAsync();
            Assert.True(down.StatusCode == HttpStatusCode.ServiceUnavailable, body.ToJsonString());
            AssertEnvelope(body, before, DateTimeOffset.UtcNow);
            Assert.Equal("DOWN", (string?)body["status"]);
        }

        await node.WaitUntilAllPartitionsOwnedAsync(TimeSpan.FromSeconds(30));
        using var up = await node.Client.GetAsync(BasePath + "/health");
        Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        Assert.Equal("UP", (string?)(await up.ReadObjectAsync())["status"]);
    }

    [Fact]
    public async Task Version_reports_the_service_its_version_commit_and_build_time_in_the_envelope()
    {
        var before = DateTimeOffset.UtcNow;

        using var response = await client.GetAsync(BasePath + "/version");

        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        AssertEnvelope(body, before, DateTimeOffset.UtcNow);
        Assert.Equal(
            ["buildTime", "gitCommit", "id", "responsetime", "service", "serviceVersion", "version"],
            body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("argus", (string?)body["service"]);
        Assert.Matches(@"^\d+\.\d+\.\d+", (string?)body["serviceVersion"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string?)body["buildTime"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["gitCommit"]));

        // The same build as the Argus API's own /version reports.
        var argus = await (await client.GetAsync("/version")).ReadObjectAsync();
        Assert.Equal((string?)argus["version"], (string?)body["serviceVersion"]);
        Assert.Equal((string?)argus["gitCommit"], (string?)body["gitCommit"]);
        Assert.Equal((string?)argus["buildTime"], (string?)body["buildTime"]);
    }

    /// <summary>The envelope's constant id and version, and a responsetime in RFC 3339 UTC with milliseconds, taken while the request ran.</summary>
    internal static void AssertEnvelope(JsonObject body, DateTimeOffset before, DateTimeOffset after)
    {
        Assert.Equal("argus.auditmanager", (string?)body["id"]);
        Assert.Equal("1.0", (string?)body["version"]);
        var responseTime = (string?)body["responsetime"];
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", responseTime);
        var at = DateTimeOffset.ParseExact(responseTime!, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange(at, before.AddTicks(-(before.Ticks % TimeSpan.TicksPerMillisecond)), after);
    }
}

/// <summary>GET /v1/auditmanager/config on a node with tunables of its own and a password in its connection string.</summary>
public sealed class CloudEventsConfigTests(CloudEventsConfigTests.ConfiguredNode fixture) : IClassFixture<CloudEventsConfigTests.ConfiguredNode>
{
    private const string Password = "pw-never-shown-7f3a";

    [Fact]
    public async Task Config_reports_the_effective_ingest_partition_batching_retention_and_integrity_settings()
    {
        var before = DateTimeOffset.UtcNow;

        using var response = await fixture.Node.Client.GetAsync(CloudEventsOperationsTests.BasePath + "/config");

        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        CloudEventsOperationsTests.AssertEnvelope(body, before, DateTimeOffset.UtcNow);
        Assert.Equal(
            ["batching", "id", "ingest", "integrity", "partitions", "responsetime", "retention", "version"],
            body.Select(p => p.Key).Order(StringComparer.Ordinal));

        var ingest = body["ingest"]!.AsObject();
        Assert.Equal(7, (int)ingest["maxBatchSize"]!);
        Assert.Equal(50_000, (int)ingest["maxBodyBytes"]!);
        Assert.Equal(100_000, (int)ingest["maxBatchBodyBytes"]!);
        Assert.Equal(3, (int)ingest["retryAfterSeconds"]!);
        Assert.Equal(4, (int)body["partitions"]!["count"]!);
        var batching = body["batching"]!.AsObject();
        Assert.Equal(50, (int)batching["maxBatchEntries"]!);
        Assert.Equal(500, (int)batching["maxPendingEntries"]!);
        Assert.Equal(5.0, (double)batching["commitTimeoutSeconds"]!);
        var retention = body["retention"]!.AsObject();
        Assert.Equal(400, (int)retention["days"]!);
        Assert.Equal(2, (int)retention["monthsAhead"]!);
        Assert.Equal(7200.0, (double)retention["maintenanceIntervalSeconds"]!);
        Assert.Contains("400 days", (string?)retention["policy"], StringComparison.Ordinal);
        var integrity = body["integrity"]!.AsObject();
        Assert.Equal(1800.0, (double)integrity["checkpointIntervalSeconds"]!);
        Assert.Matches("^[0-9a-f]{64}$", (string?)integrity["signingKeyId"]);
    }

    [Fact]
    public async Task Config_never_shows_the_postgres_connection_string_credentials_host_port_or_database()
    {
        var connection = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString);

        using var response = await fixture.Node.Client.GetAsync(CloudEventsOperationsTests.BasePath + "/config");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var raw = await response.Content.ReadAsStringAsync();
        foreach (var secret in new[] { "Host=", "Password", "Username", "ConnectionString", Password, "127.0.0.1", "localhost", connection.Database! })
        {
            Assert.False(raw.Contains(secret, StringComparison.OrdinalIgnoreCase), $"/config shows '{secret}': {raw}");
        }

        // The port appears nowhere, as a number or inside a string.
        var port = connection.Port;
        Assert.DoesNotContain(Values(JsonDocument.Parse(raw).RootElement), value => value.Contains(port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    /// <summary>Every string and number of a JSON document, as text.</summary>
    private static IEnumerable<string> Values(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Values(p.Value).Append(p.Name)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Values),
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Number => [element.GetRawText()],
        _ => [],
    };

    /// <summary>A node with tunables of its own, connected with a password (the test server trusts local connections and ignores it).</summary>
    public sealed class ConfiguredNode : IAsyncLifetime
    {
        public TestDatabase Database { get; private set; } = null!;

        public ArgusTestNode Node { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Database = await TestPostgres.CreateDatabaseAsync();
            var connectionString = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Password = Password }.ConnectionString;
            Node = await ArgusTestNode.StartAsync(connectionString, new Dictionary<string, string?>
            {
                ["Argus:Gateway:MaxBatchSize"] = "7",
                ["Argus:Gateway:MaxBodyBytes"] = "50000",
                ["Argus:Gateway:MaxBatchBodyBytes"] = "100000",
                ["Argus:Gateway:RetryAfterSeconds"] = "3",
                ["Argus:Silo:PartitionCount"] = "4",
                ["Argus:Writer:MaxBatchEntries"] = "50",
                ["Argus:Writer:MaxPendingEntries"] = "500",
                ["Argus:Writer:CommitTimeout"] = "00:00:05",
                ["Argus:Retention:Days"] = "400",
                ["Argus:Retention:MonthsAhead"] = "2",
                ["Argus:Retention:MaintenanceInterval"] = "02:00:00",
                ["Argus:Integrity:CheckpointInterval"] = "00:30:00",
            });
        }

        public async Task DisposeAsync()
        {
            await Node.DisposeAsync();
            await Database.DisposeAsync();
        }
    }
}
