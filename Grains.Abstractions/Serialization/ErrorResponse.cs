namespace Argus.Grains.Abstractions.Serialization;

/// <summary>Every Argus API error: <c>{"error": "...", "field": "..."}</c>; <c>field</c> names the offending input when there is one.</summary>
public sealed record ErrorResponse(string Error, string? Field = null);
