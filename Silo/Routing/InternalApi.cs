using System.Buffers;
using System.Text.Json;
using Argus.Grains.Abstractions;
using Argus.Client.Routing;
using Argus.Grains;
using Argus.Grains.Abstractions.Querying;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Streams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Argus.Silo.Routing;

/// <summary>
/// Silo-to-silo calls. An entry forwarded here is appended only if this silo owns its
/// partition; otherwise 421 Misdirected Request tells the sender to refresh its map. Nothing is
/// forwarded again from here, so a stale map can never make entries bounce between silos. A query
/// for some partitions is answered from Postgres only if this silo owns all of them (else 421).
/// </summary>
public static class InternalApi
{
    public static IEndpointRouteBuilder MapArgusSiloInternals(this IEndpointRouteBuilder app)
    {
        app.MapPost(SiloProtocol.EntriesPath, AppendAsync).ExcludeFromDescription();
        app.MapGet(SiloProtocol.PartitionsPath, async (PartitionDirectory directory, PartitionStreams streams, CancellationToken cancellationToken) =>
                TypedResults.Json(await directory.ReadMapAsync(streams.PartitionCount, cancellationToken), ArgusJsonContext.Default.PartitionMap))
            .ExcludeFromDescription();
        app.MapPost(SiloProtocol.QueryPath, QueryAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task QueryAsync(HttpContext context, QueryGrain queries)
    {
        PartitionQuery? query;
        try
        {
            query = await context.Request.ReadFromJsonAsync(ArgusJsonContext.Default.PartitionQuery, context.RequestAborted);
        }
        catch (JsonException)
        {
            query = null;
        }

        if (query is null || query.Take is < 1 or > QueryGrain.MaxMergedKeys || query.Partitions.Count != query.Partitions.Distinct().Count())
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "malformed partition query");
            return;
        }

        PartitionRows? rows;
        try
        {
            rows = await queries.ReadOwnedAsync(query, context.RequestAborted);
        }
        catch (Exception e) when (Grains.Storage.StorageFailures.IsUnavailable(e))
        {
            await ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, Grains.Storage.StorageFailures.DescribeRead(e));
            return;
        }

        if (rows is null)
        {
            await ErrorAsync(context, StatusCodes.Status421MisdirectedRequest, "this silo does not own every partition asked for");
            return;
        }

        await context.Response.WriteAsJsonAsync(rows, ArgusJsonContext.Default.PartitionRows);
    }

    private static async Task AppendAsync(HttpContext context, SiloCluster cluster)
    {
        var read = await context.Request.BodyReader.ReadAsync(context.RequestAborted);
        while (!read.IsCompleted)
        {
            context.Request.BodyReader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            read = await context.Request.BodyReader.ReadAsync(context.RequestAborted);
        }

        AuditEntry entry;
        try
        {
            var reader = new Utf8JsonReader(read.Buffer.ToArray());
            reader.Read();
            entry = AuditEntryJson.ReadStored(ref reader);
        }
        catch (Exception e) when (e is JsonException or Grains.Abstractions.Validation.AuditValidationException)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "malformed forwarded entry: " + e.Message);
            return;
        }
        finally
        {
            context.Request.BodyReader.AdvanceTo(read.Buffer.End);
        }

        var result = await cluster.AppendLocallyAsync(entry, context.RequestAborted);
        context.Response.StatusCode = result.Status switch
        {
            AppendStatus.Stored => StatusCodes.Status201Created,
            AppendStatus.Replayed => StatusCodes.Status200OK,
            AppendStatus.NotOwner => StatusCodes.Status421MisdirectedRequest,
            AppendStatus.Conflict => StatusCodes.Status409Conflict,
            AppendStatus.Rejected => StatusCodes.Status422UnprocessableEntity,
            AppendStatus.Overloaded => StatusCodes.Status429TooManyRequests,
            _ => StatusCodes.Status503ServiceUnavailable,
        };
        if (result.IsSuccess)
        {
            await using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            AuditEntryJson.Write(writer, result.Entry!);
        }
        else
        {
            await context.Response.WriteAsJsonAsync(new ErrorResponse(result.Error ?? result.Status.ToString()), ArgusJsonContext.Default.ErrorResponse);
        }
    }

    private static Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(message), ArgusJsonContext.Default.ErrorResponse);
    }
}
