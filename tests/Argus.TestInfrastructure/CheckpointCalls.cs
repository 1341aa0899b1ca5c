using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Argus.TestInfrastructure;

/// <summary><c>/api/integrity/checkpoints</c> as an auditor uses it: list, make, and check a signature offline with the published key alone.</summary>
public static class CheckpointCalls
{
    public const string Path = "/api/integrity/checkpoints";

    /// <summary>GET with <paramref name="query"/>, which must be answered 200; returns the answer.</summary>
    public static async Task<JsonObject> ListCheckpointsAsync(this HttpClient client, string query = "")
    {
        using var response = await client.GetAsync(Path + (query.Length > 0 ? "?" + query : ""));
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {Path}?{query}: expected 200, got {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    /// <summary>POST, which must make one (201); returns it.</summary>
    public static async Task<JsonObject> MakeCheckpointAsync(this HttpClient client)
    {
        using var response = await client.PostAsync(Path, null);
        var body = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {Path}: expected 201, got {(int)response.StatusCode}: {body.ToJsonString()}");
        return body;
    }

    /// <summary>
    /// True when <paramref name="checkpoint"/>'s signature (base64, IEEE P1363) is ECDSA P-256 with
    /// SHA-256 over its body's UTF-8 bytes under <paramref name="publicKeyPem"/>, and its key id is
    /// that key's: what an auditor checks with nothing but the listing.
    /// </summary>
    public static bool VerifiesWith(JsonObject checkpoint, string publicKeyPem)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(publicKeyPem);
        var keyId = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
        return (string?)checkpoint["keyId"] == keyId
            && key.VerifyData(
                Encoding.UTF8.GetBytes((string)checkpoint["body"]!),
                Convert.FromBase64String((string)checkpoint["signature"]!),
                HashAlgorithmName.SHA256,
                DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>The signed body, parsed.</summary>
    public static JsonObject Body(JsonObject checkpoint) => JsonNode.Parse((string)checkpoint["body"]!)!.AsObject();
}
