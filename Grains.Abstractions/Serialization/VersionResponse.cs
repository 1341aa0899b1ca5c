namespace Argus.Grains.Abstractions.Serialization;

/// <summary><c>GET /version</c>: what is running, baked in at build time.</summary>
public sealed record VersionResponse(string Service, string Version, string BuildTime, string GitCommit);
