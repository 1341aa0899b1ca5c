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
        services.AddArgusClient(new ConfigurationBuilder().Build(), o =>
        {
            o.BaseAddress = fixture.Node.BaseAddress;
            o.ApiKey = fixture.Node.ApiKey;
        });
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
    public async Task Request_context_round_trips_and_every_context_filter_reaches_the_server()
    {
        var client = Client();
        var unique = Guid.NewGuid().ToString("N");
        var sent = new AuditEntry
        {
            Id = Guid.Empty,
            Timestamp = new DateTimeOffset(2024, 1, 20, 10, 0, 0, TimeSpan.Zero),
            Status = AuditStatus.Success,
            ActorType = ActorType.Member,
            ActorId = "member-" + unique,
            TargetType = TargetType.Resource,
            Source = "urn:shop-" + unique,
            TenantId = "tenant-" + unique,
            RequestId = "req-" + unique,
            IpAddress = "2001:db8::a" + unique[..3] + ":1",
            UserAgent = "shop-app/2.1",
            HttpMethod = "PUT",
            HttpPath = "/carts/" + unique,
            HttpStatus = 409,
            LatencyMs = 3.25,
        };
        var other = sent with { ActorId = sent.ActorId + "-other", HttpStatus = 200, HttpMethod = "GET" };

        var stored = await client.AppendAsync(sent);
        await client.AppendAsync(other);

        Assert.True(stored.SameEventAs(sent with { Id = stored.Id }), $"{stored} differs from {sent}");
        var everyFilter = new AuditQuery
        {
            Source = sent.Source, TenantId = sent.TenantId, RequestId = sent.RequestId, IpAddress = sent.IpAddress,
            HttpMethod = sent.HttpMethod, HttpPath = sent.HttpPath, HttpStatus = sent.HttpStatus,
        };
        var page = await client.QueryAsync(everyFilter);
        Assert.Equal(1, page.Total);
        Assert.Equal(stored, Assert.Single(page.Logs));
        Assert.Equal(2, (await client.QueryAsync(new AuditQuery { TenantId = sent.TenantId })).Total);

        // Each filter is sent: spoiling any one of them alone leaves nothing.
        foreach (var spoiled in new[]
        {
            everyFilter with { Source = "urn:none" }, everyFilter with { TenantId = "none" }, everyFilter with { RequestId = "none" },
            everyFilter with { IpAddress = "192.0.2.1" }, everyFilter with { HttpMethod = "GET" }, everyFilter with { HttpPath = "/none" },
            everyFilter with { HttpStatus = 500 },
        })
        {
            Assert.Equal(0, (await client.QueryAsync(spoiled)).Total);
        }
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
