using System.Text.Json.Serialization;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Storage;

namespace Argus.Gateway.Apis;

/// <summary>An API key as the admin API shows it: never the key or its hash, only its prefix.</summary>
public sealed record ApiKeyResponse(
    string Name, string Prefix, string[] Scopes, string? TenantId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, string? CreatedBy, string? RevokedBy)
{
    public static ApiKeyResponse Of(ApiKeyRecord key) =>
        new(key.Name, key.KeyPrefix, key.Scopes, key.TenantId, key.CreatedAt, key.RevokedAt, key.CreatedBy, key.RevokedBy);
}

/// <summary>A key just made: the key itself, shown this once, and its record.</summary>
public sealed record CreatedApiKeyResponse(
    string Key, string Name, string Prefix, string[] Scopes, string? TenantId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, string? CreatedBy);

public sealed record ApiKeyListResponse(IReadOnlyList<ApiKeyResponse> Keys);

/// <summary>Source-generated JSON of the admin API.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [typeof(Rfc3339JsonConverter)])]
[JsonSerializable(typeof(ApiKeyResponse))]
[JsonSerializable(typeof(CreatedApiKeyResponse))]
[JsonSerializable(typeof(ApiKeyListResponse))]
[JsonSerializable(typeof(Forwarding.ForwarderListResponse))]
[JsonSerializable(typeof(Forwarding.DeadLetterListResponse))]
[JsonSerializable(typeof(Forwarding.ReplayResponse))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
