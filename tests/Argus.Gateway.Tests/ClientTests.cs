using System.Net;
using Argus.Client;
using Argus.Grains.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Argus.Gateway.Tests;

/// <summary>Argus.Client against a real node: typed append and query, safe retries, clear errors.</summary>
public sealed class ClientTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private ArgusClient Client()
    {
        var services = new ServiceCollection();
        services.AddArgusClient(new ConfigurationBuilder().Build(), o => o.BaseAddress = fixture.Node.BaseAddress);
        return services.BuildServiceProvider().GetRequiredService<ArgusClient>();
    }

    [Fact]
    public async Task Append_then_query_round_trips_every_field()
    {
        var client = Client();
        var trace = Guid.NewGuid();
        var sent = new AuditEntry
        {
            Id = Guid.Empty,
            TraceId = trace,
            Timestamp = new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero).AddTicks(1234560),
            EventType = "USER_MANAGEMENT",
            EventAction = EventAction.Update,
            Status = AuditStatus.Failure,
            ActorType = ActorType.Admin,
            ActorId = "admin@example.com",
            TargetType = TargetType.Resource,
            TargetId = "user-42",
            RequestMetadata = """{"fields":["email"]}""",
            ResponseMetadata = """{"error":"operation_failed","errorCode":"404"}""",
        };

        var stored = await client.AppendAsync(sent);
        var page = await client.QueryAsync(new AuditQuery { TraceId = trace });

        Assert.NotEqual(Guid.Empty, stored.Id);
        var read = Assert.Single(page.Logs);
        Assert.Equal(1, page.Total);
        Assert.Equal(stored.Id, read.Id);
        Assert.True(read.SameEventAs(sent with { Id = stored.Id }));
        Assert.Equal(stored.CreatedAt, read.CreatedAt);
    }

    [Fact]
    public async Task Appending_twice_with_one_idempotency_key_stores_one_entry()
    {
        var client = Client();
        var trace = Guid.NewGuid();
        var entry = new AuditEntry
        {
            Id = Guid.Empty,
            TraceId = trace,
            Timestamp = DateTimeOffset.UtcNow,
            Status = AuditStatus.Success,
            ActorType = ActorType.Service,
            ActorId = "billing",
            TargetType = TargetType.Service,
        };

        var first = await client.AppendAsync(entry, "charge-7781");
        var again = await client.AppendAsync(entry, "charge-7781");

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(1, (await client.QueryAsync(new AuditQuery { TraceId = trace })).Total);
    }

    [Fact]
    public async Task Refusals_surface_as_exceptions_naming_the_field()
    {
        var error = await Assert.ThrowsAsync<ArgusClientException>(() => Client().QueryAsync(new AuditQuery { Limit = 5000 }));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("limit", error.Field);
    }

    [Fact]
    public async Task QueryAll_follows_the_cursors_through_every_match()
    {
        var client = Client();
        var actor = "client-walk-" + Guid.NewGuid().ToString("N");
        var stored = new List<AuditEntry>();
        for (var i = 0; i < 23; i++)
        {
            stored.Add(await client.AppendAsync(new AuditEntry
            {
                Id = Guid.Empty,
                Timestamp = new DateTimeOffset(2024, 9, 1, 0, 0, i % 4, TimeSpan.Zero),
                Status = AuditStatus.Success,
                ActorType = ActorType.Service,
                ActorId = actor,
                TargetType = TargetType.Resource,
            }));
        }

        var walked = new List<Guid>();
        await foreach (var entry in client.QueryAllAsync(new AuditQuery { ActorId = actor, Limit = 5 }))
        {
            walked.Add(entry.Id);
        }

        var oneBigPage = await client.QueryAsync(new AuditQuery { ActorId = actor, Limit = 1000 });
        Assert.Equal(oneBigPage.Logs.Select(e => e.Id), walked);
        Assert.Equal(stored.Select(e => e.Id).Order(), walked.Order());
        Assert.Null(oneBigPage.NextCursor);
    }

    [Fact]
    public async Task A_cursor_refused_by_Argus_surfaces_naming_the_cursor()
    {
        var error = await Assert.ThrowsAsync<ArgusClientException>(() => Client().QueryAsync(new AuditQuery { Cursor = "forged" }));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("cursor", error.Field);
    }
}
