namespace Argus.Gateway.Facades;

/// <summary>One query parameter of a facade endpoint, as its OpenAPI operation declares it.</summary>
/// <param name="Type">The JSON schema type: <c>string</c>, <c>integer</c>.</param>
/// <param name="Format">The schema format (<c>date-time</c>), if any.</param>
public sealed record DocumentedParameter(string Name, string Type, string Description, string? Format = null, int? Default = null, int? Minimum = null, int? Maximum = null);

/// <summary>
/// Endpoint metadata: the query parameters a facade reads by hand (not by binding), so that the
/// OpenAPI document can list them.
/// </summary>
public sealed record DocumentedQuery(IReadOnlyList<DocumentedParameter> Parameters);

public static class DocumentedQueryExtensions
{
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, params DocumentedParameter[] parameters)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new DocumentedQuery(parameters));

    /// <summary>Declares the refusals every facade endpoint may answer before or instead of reading: 401, 403, 429, 503, in the facade's error body.</summary>
    public static RouteHandlerBuilder ProducesRefusals<TError>(this RouteHandlerBuilder builder) => builder
        .Produces<TError>(StatusCodes.Status401Unauthorized)
        .Produces<TError>(StatusCodes.Status403Forbidden)
        .Produces<TError>(StatusCodes.Status429TooManyRequests)
        .Produces<TError>(StatusCodes.Status503ServiceUnavailable);
}
