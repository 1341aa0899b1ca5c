using System.Text.Json.Serialization;
using Argus.Gateway.Apis;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Integrity;
using Npgsql;

namespace Argus.Gateway.Integrity;

/// <summary>
/// <c>/api/integrity/checkpoints</c> (scope <c>audit:admin</c>, cluster-wide, so not for a
/// tenant-bound credential): the signed checkpoints, each with the exact body that was signed and
/// its signature, and this process's public key, so an auditor can keep them elsewhere and verify
/// them offline; and a heads checkpoint made on demand.
/// </summary>
public static class CheckpointsApi
{
    public const string Path = "/api/integrity/checkpoints";

    /// <summary>How the signatures are made (<see cref="SigningKey"/>).</summary>
    public const string Algorithm = "ECDSA P-256 SHA-256 (IEEE P1363)";

    public const int DefaultLimit = 50;

    public const int MaxLimit = 1000;

    private const string JsonContentType = "application/json; charset=utf-8";

    private static readonly string[] Kinds = [Checkpoint.HeadsKind, Checkpoint.RetentionKind];

    public static IEndpointRouteBuilder MapCheckpointsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Integrity").RequireAuthorization(ArgusScopes.Admin);
        group.MapGet("", ListAsync)
            .WithSummary("List the signed checkpoints, newest first, with the public key that verifies them")
            .WithDescription("kind: heads or retention (both when absent); limit 1..1000 (default 50); before: the 'next' of the previous page. "
                + "Each checkpoint's 'body' is the exact UTF-8 JSON that was signed; 'signature' is base64 of the " + Algorithm + " signature over it; "
                + "'keyId' is the SHA-256 (hex) of the signing key's SubjectPublicKeyInfo. 'publicKey' is the PEM of this process's key (null when it has none).")
            .Produces<CheckpointListResponse>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest);
        group.MapPost("", MakeAsync)
            .WithSummary("Make a heads checkpoint now")
            .WithDescription("Signs every partition's last sequence number and hash as they are now, whether or not they moved since the last one. "
                + "201 with the checkpoint; 503 when this process has no signing key (Argus:Integrity:SigningKeyFile).")
            .Produces<CheckpointResponse>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task ListAsync(HttpContext context, CheckpointStore store, CheckpointKey key)
    {
        if (await RefuseTenantAsync(context))
        {
            return;
        }

        if (!AuditQueryParser.TryParseCheckpointPage(context.Request.Query, Kinds, DefaultLimit, MaxLimit, out var page, out var error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error.Message, error.Field);
            return;
        }

        var found = await ReadAsync(() => store.ListAsync(page.Kind, page.Before, page.Limit + 1, context.RequestAborted));
        var listed = found.Take(page.Limit).Select(CheckpointResponse.Of).ToList();
        var signer = key.Key;
        await WriteAsync(
            context,
            StatusCodes.Status200OK,
            new CheckpointListResponse(signer?.Id, signer?.PublicKeyPem, Algorithm, listed, found.Count > page.Limit ? listed[^1].Id : null),
            CheckpointsJsonContext.Web.CheckpointListResponse);
    }

    private static async Task MakeAsync(HttpContext context, HeadsCheckpoints checkpoints)
    {
        if (await RefuseTenantAsync(context))
        {
            return;
        }

        if (!checkpoints.CanSign)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, CheckpointKey.NotConfigured);
            return;
        }

        var made = await ReadAsync(() => checkpoints.MakeAsync(context.RequestAborted));
        await WriteAsync(context, StatusCodes.Status201Created, CheckpointResponse.Of(made), CheckpointsJsonContext.Web.CheckpointResponse);
    }

    /// <summary>Postgres out of reach is a 503 (the exception handler's), as for every other read.</summary>
    private static async Task<T> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new ArgusUnavailableException("Postgres is unreachable: " + e.Message, e);
        }
    }

    private static async Task<bool> RefuseTenantAsync(HttpContext context)
    {
        if (context.AccessScope().Tenant is null)
        {
            return false;
        }

        await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, "forbidden: checkpoints cover every tenant's entries; a tenant-bound credential cannot read or make them");
        return true;
    }

    private static Task WriteAsync<T>(HttpContext context, int status, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, type, JsonContentType, context.RequestAborted);
    }
}

/// <summary>A signed checkpoint as stored: <c>body</c> is the exact signed text, <c>signature</c> base64.</summary>
public sealed record CheckpointResponse(long Id, string Kind, DateTimeOffset CreatedAt, string KeyId, string Body, string Signature)
{
    public static CheckpointResponse Of(Checkpoint checkpoint) =>
        new(checkpoint.Id, checkpoint.Kind, checkpoint.CreatedAt, checkpoint.KeyId, checkpoint.Body, Convert.ToBase64String(checkpoint.Signature));
}

/// <summary>A page of checkpoints, newest first; <c>next</c> is the <c>before</c> of the following page (null on the last).</summary>
public sealed record CheckpointListResponse(string? KeyId, string? PublicKey, string Algorithm, IReadOnlyList<CheckpointResponse> Checkpoints, long? Next);

/// <summary>Source-generated JSON of the checkpoints API.</summary>
[JsonSerializable(typeof(CheckpointResponse))]
[JsonSerializable(typeof(CheckpointListResponse))]
public sealed partial class CheckpointsJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Nulls written (a process without a key says so), and text as it is, as the rest of the API
    /// writes it: a signed body's quotes read <c>\"</c>, not <c>\u0022</c>.
    /// </summary>
    public static CheckpointsJsonContext Web { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new Rfc3339JsonConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
