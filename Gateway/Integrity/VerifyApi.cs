using System.Text.Json.Serialization;
using Argus.Gateway.Apis;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions.Integrity;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Integrity;
using Npgsql;

namespace Argus.Gateway.Integrity;

/// <summary>
/// <c>GET /api/integrity/verify?partition=N</c> (scope <c>audit:admin</c>, cluster-wide, so not for a
/// tenant-bound credential): the verification <c>argus verify</c> runs, for one partition, read
/// straight from Postgres through the node's small pool and checked against the process's signing key.
/// </summary>
public static class VerifyApi
{
    public const string Path = "/api/integrity/verify";

    public static IEndpointRouteBuilder MapVerifyApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, VerifyAsync)
            .WithTags("Integrity")
            .RequireAuthorization(ArgusScopes.Admin)
            .WithSummary("Verify one partition's hash chain")
            .WithDescription("Walks the partition's entries in sequence order and reports each problem (altered, missing, inserted, "
                + "out of order, broken link) by sequence number, and whether the chain agrees with the latest signed checkpoint. "
                + "partition: 0 to the cluster's partition count - 1 (required).")
            .Produces<VerifyResponse>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task VerifyAsync(HttpContext context, AuthSetup.SecurityDataSource pool, CheckpointKey key)
    {
        if (context.AccessScope().Tenant is not null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, "forbidden: verification is cluster-wide; a tenant-bound credential cannot run it");
            return;
        }

        var verifier = new ChainVerifier(pool.Value, key.Key);
        try
        {
            var count = await verifier.PartitionCountAsync(context.RequestAborted);
            if (!AuditQueryParser.TryParseInteger(context.Request.Query, "partition", 0, count - 1, out var partition, out var error) || partition is null)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest,
                    error?.Message ?? $"Validation error: 'partition' is required (0 to {count - 1})", error?.Field ?? "partition");
                return;
            }

            PartitionVerification? result = null;
            var checkpointProblems = await verifier.VerifyAsync([partition.Value], r => Task.FromResult(result = r), null, context.RequestAborted);
            var response = VerifyResponse.Of(result!, checkpointProblems);
            context.Response.StatusCode = StatusCodes.Status200OK;
            await context.Response.WriteAsJsonAsync(response, VerifyJsonContext.Default.VerifyResponse, "application/json; charset=utf-8", context.RequestAborted);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !context.RequestAborted.IsCancellationRequested)
        {
            throw new Grains.Abstractions.ArgusUnavailableException("the log cannot be verified now: Postgres is unreachable");
        }
    }
}

public sealed record VerifyProblem(int? Partition, long? Seq, string Kind, string Detail);

public sealed record VerifyCheckpoint(long Id, DateTimeOffset CreatedAt, long Seq, bool Agrees);

public sealed record VerifyResponse(
    int Partition, bool Holds, long Entries, long FirstSeq, long LastSeq, long HeadSeq, long RemovedByRetention,
    IReadOnlyList<VerifyProblem> Problems, VerifyCheckpoint? Checkpoint, bool SignaturesChecked)
{
    public static VerifyResponse Of(PartitionVerification result, IReadOnlyList<ChainProblem> checkpointProblems)
    {
        var problems = result.Problems.Concat(checkpointProblems).Select(p => new VerifyProblem(p.Partition, p.Seq, p.Kind, p.Detail)).ToList();
        return new VerifyResponse(
            result.Partition, problems.Count == 0, result.Entries, result.FirstSeq, result.LastSeq, result.HeadSeq, result.RemovedByRetention,
            problems, result.Checkpoint is { } c ? new VerifyCheckpoint(c.CheckpointId, c.CreatedAt, c.Seq, c.Agrees) : null, result.SignaturesChecked);
    }
}

/// <summary>Source-generated JSON of the verification API.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [typeof(Rfc3339JsonConverter)])]
[JsonSerializable(typeof(VerifyResponse))]
public sealed partial class VerifyJsonContext : JsonSerializerContext;
