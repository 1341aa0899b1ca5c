using System.Net;
using System.Text.Json.Nodes;
using Argus.Grains.Writing;
using Npgsql;

namespace Argus.Gateway.Tests;

/// <summary>
/// POST /v1/auditmanager/events/batch: a JSON array (application/cloudevents-batch+json) or
/// <c>{"events": [...]}</c>. Events are not atomic: each valid one becomes its own row, each
/// invalid or refused one is reported by index and reason with nothing stored for it, and the
/// 202 reports the count actually accepted.
/// </summary>
public sealed class CloudEventsBatchTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly HttpClient client = fixture.Client;

    private readonly TestDatabase database = fixture.Database;

    [Theory]
    [InlineData("array", CloudEventRequests.BatchType)]
    [InlineData("events object", "application/json")]
    [InlineData("events object", CloudEventRequests.BatchType)]
    public async Task Batch_is_acknowledged_202_once_committed_and_each_event_becomes_its_own_row(string shape, string contentType)
    {
        var source = CloudEventRequests.NewSource();
        var events = Enumerable.Range(0, 3).Select(i =>
        {
            var cloudEvent = CloudEventRequests.Event(source);
            cloudEvent["type"] = $"com.example.batch.{i}";
            cloudEvent["subject"] = $"records/{i}";
            cloudEvent["data"] = new JsonObject { ["n"] = i };
            return cloudEvent;
        }).ToList();

        using var response = await client.PostBatchAsync(Batch(shape, events), contentType);

        var result = await AssertBatchResultAsync(response, HttpStatusCode.Accepted, accepted: 3, failed: 0);
        Assert.Empty(result["errors"]!.AsArray());

        // Acknowledged means committed: the rows are there the moment the 202 arrives.
        Assert.Equal(3L, await database.RowsOfSourceAsync(source));
        var logs = (await client.GetPageAsync($"actorId={Uri.EscapeDataString(source)}"))["logs"]!.AsArray()
            .Select(l => l!.AsObject())
            .ToDictionary(l => (string)l["requestMetadata"]!["cloudevent"]!["id"]!);
        Assert.Equal(events.Select(e => (string)e["id"]!).Order(), logs.Keys.Order());
        foreach (var cloudEvent in events)
        {
            var log = logs[(string)cloudEvent["id"]!];
            Assert.Equal((string?)cloudEvent["type"], (string?)log["eventType"]);
            Assert.Equal((string?)cloudEvent["subject"], (string?)log["targetId"]);
            Assert.Equal("SERVICE", (string?)log["actorType"]);
            Assert.Equal("2024-01-20T10:00:00Z", (string?)log["timestamp"]);
            Assert.True(JsonNode.DeepEquals(cloudEvent["data"], log["additionalMetadata"]), log.ToJsonString());
        }
    }

    [Fact]
    public async Task Partial_batch_stores_the_valid_events_and_reports_each_invalid_one_by_index_and_reason()
    {
        var source = CloudEventRequests.NewSource();
        var valid = Enumerable.Range(0, 3).Select(_ => CloudEventRequests.Event(source)).ToList();
        var missingType = CloudEventRequests.Event(source);
        missingType.Remove("type");
        var badTime = CloudEventRequests.Event(source, time: "2024-01-20 10:00:00");
        var badStatus = CloudEventRequests.Event(source);
        badStatus["status"] = "PARTIAL";
        var batch = new JsonArray(
            valid[0].DeepClone(), missingType.DeepClone(), valid[1].DeepClone(), badTime.DeepClone(), 42, badStatus.DeepClone(), valid[2].DeepClone());

        using var response = await client.PostBatchAsync(batch);

        var result = await AssertBatchResultAsync(response, HttpStatusCode.Accepted, accepted: 3, failed: 4);
        var errors = result["errors"]!.AsArray().Select(e => e!.AsObject()).ToList();
        Assert.Equal([1, 3, 4, 5], errors.Select(e => (int)e["index"]!));
        AssertEventError(errors[0], (string)missingType["id"]!, "type");
        AssertEventError(errors[1], (string)badTime["id"]!, "time");
        AssertEventError(errors[2], null, "event");
        AssertEventError(errors[3], (string)badStatus["id"]!, "status");

        Assert.Equal(3L, await database.RowsOfSourceAsync(source));
        foreach (var refused in new[] { missingType, badTime, badStatus })
        {
            Assert.Equal(0L, await database.RowsOfEventIdAsync((string)refused["id"]!));
        }

        foreach (var accepted in valid)
        {
            Assert.Equal(1L, await database.RowsOfEventIdAsync((string)accepted["id"]!));
        }
    }

    [Fact]
    public async Task Batch_of_only_invalid_events_is_refused_with_400_and_the_per_event_errors()
    {
        var source = CloudEventRequests.NewSource();
        var noSource = CloudEventRequests.Event();
        noSource.Remove("source");
        var badSpec = CloudEventRequests.Event(source);
        badSpec["specversion"] = "0.3";
        var before = await TotalRowsAsync();

        using var response = await client.PostBatchAsync(new JsonArray(noSource, badSpec));

        var result = await AssertBatchResultAsync(response, HttpStatusCode.BadRequest, accepted: 0, failed: 2);
        var errors = result["errors"]!.AsArray().Select(e => e!.AsObject()).ToList();
        Assert.Equal([0, 1], errors.Select(e => (int)e["index"]!));
        AssertEventError(errors[0], (string)noSource["id"]!, "source");
        AssertEventError(errors[1], (string)badSpec["id"]!, "specversion");
        Assert.Equal(0L, await database.RowsOfSourceAsync(source));
        Assert.Equal(before, await TotalRowsAsync());
    }

    [Theory]
    [InlineData("[]", CloudEventRequests.BatchType)]
    [InlineData("""{"events": []}""", "application/json")]
    public async Task Empty_batch_is_refused_with_400_naming_events(string body, string contentType)
    {
        var before = await TotalRowsAsync();

        using var response = await client.PostBatchAsync(body, contentType);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "events");
        Assert.Equal(before, await TotalRowsAsync());
    }

    [Theory]
    [InlineData("""{"events": {"id": "x"}}""")]
    [InlineData("""{"items": []}""")]
    [InlineData("42")]
    [InlineData("\"events\"")]
    [InlineData("null")]
    public async Task Batch_that_is_neither_an_array_nor_an_events_array_is_refused_with_400_naming_events(string body)
    {
        var before = await TotalRowsAsync();

        using var response = await client.PostBatchAsync(body);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "events");
        Assert.Equal(before, await TotalRowsAsync());
    }

    [Fact]
    public async Task Malformed_batch_is_refused_with_400_naming_the_body()
    {
        var source = CloudEventRequests.NewSource();
        var json = new JsonArray(CloudEventRequests.Event(source)).ToJsonString();

        using var response = await client.PostBatchAsync(json[..^1]);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "body");
        Assert.Equal(0L, await database.RowsOfSourceAsync(source));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    public async Task Batch_that_is_not_json_is_refused_with_415(string contentType)
    {
        var source = CloudEventRequests.NewSource();

        using var response = await client.PostBatchAsync(new JsonArray(CloudEventRequests.Event(source)), contentType);

        await AuditApi.AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "Content-Type", messageNamesField: false);
        Assert.Equal(0L, await database.RowsOfSourceAsync(source));
    }

    [Fact]
    public async Task Event_repeated_inside_one_batch_is_stored_once()
    {
        var cloudEvent = CloudEventRequests.Event();

        using var response = await client.PostBatchAsync(new JsonArray(cloudEvent.DeepClone(), cloudEvent.DeepClone(), cloudEvent.DeepClone()));

        await AssertBatchResultAsync(response, HttpStatusCode.Accepted, accepted: 3, failed: 0);
        Assert.Equal(1L, await database.RowsOfSourceAsync((string)cloudEvent["source"]!));
    }

    [Fact]
    public async Task Event_repeated_across_batches_and_single_posts_is_stored_once()
    {
        var source = CloudEventRequests.NewSource();
        var (a, b, c) = (CloudEventRequests.Event(source), CloudEventRequests.Event(source), CloudEventRequests.Event(source));

        using (var first = await client.PostBatchAsync(new JsonArray(a.DeepClone(), b.DeepClone())))
        {
            await AssertBatchResultAsync(first, HttpStatusCode.Accepted, accepted: 2, failed: 0);
        }

        using (var second = await client.PostBatchAsync(new JsonArray(b.DeepClone(), c.DeepClone())))
        {
            await AssertBatchResultAsync(second, HttpStatusCode.Accepted, accepted: 2, failed: 0);
        }

        Assert.Equal(3L, await database.RowsOfSourceAsync(source));

        // The single-event API derives the same entry from (id, time): a replay of a batched event is a duplicate.
        using var single = await client.PostEventAsync(c);
        var (entryId, duplicate) = await CloudEventRequests.AssertAcceptedAsync(single, (string)c["id"]!);
        Assert.True(duplicate);
        Assert.Equal(entryId, await database.ScalarAsync<Guid>(
            "SELECT id FROM audit_logs WHERE request_metadata -> 'cloudevent' ->> 'id' = $1", (string)c["id"]!));
        Assert.Equal(3L, await database.RowsOfSourceAsync(source));
    }

    [Fact]
    public async Task Batch_overflowing_the_ingest_buffers_reports_exactly_the_events_accepted_and_stores_only_those()
    {
        await using var overflowDatabase = await TestPostgres.CreateDatabaseAsync();
        await using var node = await ArgusTestNode.StartAsync(overflowDatabase.ConnectionString, new Dictionary<string, string?>
        {
            ["Argus:Writer:MaxBatchEntries"] = "1",
            ["Argus:Writer:MaxPendingEntries"] = "2",
            ["Argus:Writer:CommitTimeout"] = "00:01:00",
        });
        using var nodeClient = node.CreateClient();
        var writer = node.Service<AuditLogWriter>();
        var source = CloudEventRequests.NewSource();
        var events = Enumerable.Range(0, 5).Select(_ => CloudEventRequests.Event(source)).ToList();

        // Hold the fencing table so the writer's first commit waits inside Postgres.
        await using var block = await WriterBlock.HoldAsync(overflowDatabase);

        var refusedBefore = writer.RefusedEntries;
        var batch = nodeClient.PostBatchAsync(new JsonArray([.. events.Select(e => e.DeepClone())]));

        // Each event reaches its partition's owner, which admits or refuses it: two wait behind the
        // blocked commit and three were refused.
        await Eventually.WaitUntilAsync(
            () => writer.PendingEntries == 2 && writer.RefusedEntries - refusedBefore == 3,
            "two events pending behind the blocked commit and three refused");
        await block.ReleaseAsync();

        using var response = await batch;
        var result = await AssertBatchResultAsync(response, HttpStatusCode.Accepted, accepted: 2, failed: 3);
        var errors = result["errors"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var ids = events.Select(e => (string)e["id"]!).ToList();
        foreach (var error in errors)
        {
            Assert.Equal(503, (int)error["status"]!);
            Assert.Equal(ids[(int)error["index"]!], (string?)error["id"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)error["error"]), error.ToJsonString());
        }

        var refused = errors.Select(e => (string)e["id"]!).ToHashSet();
        var stored = await StoredEventIdsAsync(overflowDatabase, source);
        Assert.Equal(ids.Where(id => !refused.Contains(id)).Order(), stored.Order());
        Assert.Equal(0, writer.PendingEntries);
    }

    /// <summary>Checks the batch result's status and shape; returns it.</summary>
    internal static async Task<JsonObject> AssertBatchResultAsync(HttpResponseMessage response, HttpStatusCode status, int accepted, int failed)
    {
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body.ToJsonString()}");
        Assert.Equal(["accepted", "errors", "failed"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.True(accepted == (int)body["accepted"]! && failed == (int)body["failed"]!, $"expected {accepted} accepted and {failed} failed: {body.ToJsonString()}");
        Assert.Equal(failed, body["errors"]!.AsArray().Count);
        return body;
    }

    internal static JsonNode Batch(string shape, IEnumerable<JsonObject> events)
    {
        var array = new JsonArray([.. events.Select(e => e.DeepClone())]);
        return shape == "array" ? array : new JsonObject { ["events"] = array };
    }

    internal static async Task<List<string>> StoredEventIdsAsync(TestDatabase database, string source)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT request_metadata -> 'cloudevent' ->> 'id' FROM audit_logs WHERE actor_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = source });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>A refused event's report: its id (absent when it had none), 400, a validation message and the attribute.</summary>
    private static void AssertEventError(JsonObject error, string? id, string field)
    {
        Assert.Equal(id, (string?)error["id"]);
        Assert.Equal(400, (int)error["status"]!);
        Assert.StartsWith("Validation error: ", (string?)error["error"], StringComparison.Ordinal);
        Assert.Equal(field, (string?)error["field"]);
    }

    private Task<long> TotalRowsAsync() => database.ScalarAsync<long>("SELECT count(*) FROM audit_logs");
}

/// <summary>The configured batch limits hold: too many events or too many bytes refuse the whole batch.</summary>
public sealed class CloudEventsBatchLimitsTests(CloudEventsBatchLimitsTests.SmallLimitsNode fixture) : IClassFixture<CloudEventsBatchLimitsTests.SmallLimitsNode>
{
    private readonly HttpClient client = fixture.Node.Client;

    [Fact]
    public async Task Batch_over_the_configured_maximum_is_refused_whole_with_400_naming_events()
    {
        var source = CloudEventRequests.NewSource();

        using var response = await client.PostBatchAsync(CloudEventsBatchTests.Batch("array", Enumerable.Range(0, 4).Select(_ => CloudEventRequests.Event(source))));

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.BadRequest, "events");
        Assert.Contains("3", error, StringComparison.Ordinal);
        Assert.Equal(0L, await fixture.Database.RowsOfSourceAsync(source));
    }

    [Fact]
    public async Task Batch_of_exactly_the_configured_maximum_is_accepted()
    {
        var source = CloudEventRequests.NewSource();

        using var response = await client.PostBatchAsync(CloudEventsBatchTests.Batch("events object", Enumerable.Range(0, 3).Select(_ => CloudEventRequests.Event(source))));

        await CloudEventsBatchTests.AssertBatchResultAsync(response, HttpStatusCode.Accepted, accepted: 3, failed: 0);
        Assert.Equal(3L, await fixture.Database.RowsOfSourceAsync(source));
    }

    [Fact]
    public async Task Batch_body_over_the_configured_bytes_is_refused_with_413_naming_the_body()
    {
        var source = CloudEventRequests.NewSource();
        var cloudEvent = CloudEventRequests.Event(source);
        cloudEvent["data"] = new JsonObject { ["padding"] = new string('x', 5000) };

        using var response = await client.PostBatchAsync(new JsonArray(cloudEvent));

        var error = await AuditApi.AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "body");
        Assert.Contains("4096", error, StringComparison.Ordinal);
        Assert.Equal(0L, await fixture.Database.RowsOfSourceAsync(source));
    }

    /// <summary>A node that takes at most 3 events and 4096 bytes per batch.</summary>
    public sealed class SmallLimitsNode : IAsyncLifetime
    {
        public TestDatabase Database { get; private set; } = null!;

        public ArgusTestNode Node { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Database = await TestPostgres.CreateDatabaseAsync();
            Node = await ArgusTestNode.StartAsync(Database.ConnectionString, new Dictionary<string, string?>
            {
                ["Argus:Gateway:MaxBatchSize"] = "3",
                ["Argus:Gateway:MaxBatchBodyBytes"] = "4096",
            });
        }

        public async Task DisposeAsync()
        {
            await Node.DisposeAsync();
            await Database.DisposeAsync();
        }
    }
}
