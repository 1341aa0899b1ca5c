namespace Argus.Grains.Abstractions.Serialization;

/// <summary><c>GET /health</c>: <c>{"service":"argus","status":"healthy"}</c>, plus the reason when unhealthy.</summary>
public sealed record HealthResponse(string Service, string Status, string? Reason = null);
