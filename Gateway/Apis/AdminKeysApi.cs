using System.Text.Json;
using System.Text.RegularExpressions;
using Argus.Gateway.Options;
using Argus.Gateway.SelfAudit;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Argus.Gateway.Apis;

/// <summary>
/// <c>/api/admin/keys</c>: list, make and revoke API keys; every call needs <c>audit:admin</c>. A
/// credential bound to a tenant manages the keys of its tenant only.
/// </summary>
public static partial class AdminKeysApi
{
    public const string Path = "/api/admin/keys";

    public const int MaxTenantLength = 128;

    private const string JsonContentType = "application/json; charset=utf-8";

    public static IEndpointRouteBuilder MapAdminKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Admin").RequireAuthorization(ArgusScopes.Admin);
        group.MapGet("", ListAsync)
            .WithSummary("List API keys")
            .WithDescription("Every key, revoked ones too, by name: its prefix, scopes, tenant and times; never the key or its hash.")
            .Produces<ApiKeyListResponse>(StatusCodes.Status200OK);
        group.MapPost("", CreateAsync)
            .WithSummary("Make an API key")
            .WithDescription("Body: {\"name\", \"scopes\": [audit:write | audit:read | audit:admin], \"tenantId\"?}. 201 with the key in 'key': "
                + "it is shown this once and cannot be read again. 409 when the name is taken (by a revoked key too).")
            .Produces<CreatedApiKeyResponse>(StatusCodes.Status201Created)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status409Conflict)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/{name}", RevokeAsync)
            .WithSummary("Revoke an API key")
            .WithDescription("The key stops working on every node within the key refresh interval (2 s by default); its record stays, with revokedAt.")
            .Produces<ApiKeyResponse>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>The names a key may have (as migration 008 checks them).</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    private static async Task ListAsync(HttpContext context, ApiKeyStore keys)
    {
        var tenant = context.AccessScope().Tenant;
        var all = await keys.ListAsync(context.RequestAborted);
        var visible = all.Where(k => tenant is null || k.TenantId == tenant).Select(ApiKeyResponse.Of).ToList();
        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.WriteAsJsonAsync(new ApiKeyListResponse(visible), AdminJsonContext.Default.ApiKeyListResponse, JsonContentType, context.RequestAborted);
    }

    private static async Task CreateAsync(HttpContext context, ApiKeyStore keys, KeyChangeRecorder recorder, IOptions<GatewayOptions> options)
    {
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var media)
            || !(media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, "Validation error: Content-Type must be application/json", "Content-Type");
            return;
        }

        var maxBytes = options.Value.MaxBodyBytes;
        var (withinLimit, request) = await RequestBody.ReadAsync(context.Request, maxBytes, body => Parse(body));
        if (!withinLimit)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"Validation error: request body exceeds {maxBytes} bytes", "body");
            return;
        }

        if (request!.Error is { } error)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error.Message, error.Field);
            return;
        }

        var tenant = request.TenantId;
        if (context.AccessScope().Tenant is { } own)
        {
            if (tenant is not null && tenant != own)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden,
                    "forbidden: 'tenantId' names a tenant this credential may not make keys for", "tenantId");
                return;
            }

            tenant = own;
        }

        var created = await keys.CreateAsync(request.Name!, request.Scopes!, tenant, Actor(context), context.RequestAborted);
        if (created is not { } made)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, $"a key named '{request.Name}' exists already (names of revoked keys stay taken): choose another 'name'", "name");
            return;
        }

        recorder.Record(made.Record, ApiKeyChange.Created);
        var record = made.Record;
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = Path + "/" + Uri.EscapeDataString(record.Name);
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(
            new CreatedApiKeyResponse(made.Key, record.Name, record.KeyPrefix, record.Scopes, record.TenantId, record.CreatedAt, record.RevokedAt, record.CreatedBy),
            AdminJsonContext.Default.CreatedApiKeyResponse, JsonContentType, context.RequestAborted);
    }

    private static async Task RevokeAsync(HttpContext context, string name, ApiKeyStore keys, KeyChangeRecorder recorder)
    {
        var tenant = context.AccessScope().Tenant;
        if (!IsValidName(name)
            || (tenant is not null && (await keys.ListAsync(context.RequestAborted)).FirstOrDefault(k => k.Name == name) is { } other && other.TenantId != tenant))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, $"no key named '{name}'", "name");
            return;
        }

        var revoked = await keys.RevokeAsync(name, Actor(context), context.RequestAborted);
        if (revoked is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, $"no key named '{name}'", "name");
            return;
        }

        recorder.Record(revoked, ApiKeyChange.Revoked);
        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.WriteAsJsonAsync(ApiKeyResponse.Of(revoked), AdminJsonContext.Default.ApiKeyResponse, JsonContentType, context.RequestAborted);
    }

    private static string Actor(HttpContext context) => context.User.CredentialName() ?? SelfAuditEntries.UnknownActor;

    private static CreateRequest Parse(System.Buffers.ReadOnlySequence<byte> body)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return CreateRequest.Invalid("Validation error: the body must be a JSON object", "body");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return CreateRequest.Invalid("Validation error: the body must be a JSON object", "body");
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("name" or "scopes" or "tenantId"))
                {
                    return CreateRequest.Invalid($"Validation error: unknown field '{property.Name}' (known: name, scopes, tenantId)", property.Name);
                }
            }

            if (!root.TryGetProperty("name", out var nameValue) || nameValue.ValueKind != JsonValueKind.String || !IsValidName(nameValue.GetString()!))
            {
                return CreateRequest.Invalid(
                    "Validation error: 'name' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", "name");
            }

            if (!root.TryGetProperty("scopes", out var scopesValue) || scopesValue.ValueKind != JsonValueKind.Array || scopesValue.GetArrayLength() == 0)
            {
                return CreateRequest.Invalid($"Validation error: 'scopes' must be a non-empty array of {string.Join(", ", ArgusScopes.All)}", "scopes");
            }

            var scopes = new List<string>();
            foreach (var scope in scopesValue.EnumerateArray())
            {
                if (scope.ValueKind != JsonValueKind.String || !ArgusScopes.IsKnown(scope.GetString()!))
                {
                    return CreateRequest.Invalid(
                        $"Validation error: 'scopes' holds {(scope.ValueKind == JsonValueKind.String ? $"the unknown scope '{scope.GetString()}'" : "a value that is not a string")}: "
                        + $"known scopes are {string.Join(", ", ArgusScopes.All)}", "scopes");
                }

                scopes.Add(scope.GetString()!);
            }

            string? tenant = null;
            if (root.TryGetProperty("tenantId", out var tenantValue) && tenantValue.ValueKind != JsonValueKind.Null)
            {
                tenant = tenantValue.ValueKind == JsonValueKind.String ? tenantValue.GetString() : null;
                if (tenant is null || tenant.Length is < 1 or > MaxTenantLength)
                {
                    return CreateRequest.Invalid($"Validation error: 'tenantId' must be a string of 1 to {MaxTenantLength} characters, or absent", "tenantId");
                }
            }

            return new CreateRequest(nameValue.GetString(), scopes, tenant, null);
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z")]
    private static partial Regex NamePattern();

    private sealed record CreateRequest(string? Name, List<string>? Scopes, string? TenantId, (string Message, string Field)? Error)
    {
        public static CreateRequest Invalid(string message, string field) => new(null, null, null, (message, field));
    }
}
