namespace Argus.Gateway.Facades;

/// <summary>
/// The shape an endpoint's errors take. Argus's own API answers <c>{"error", "field"}</c>; the
/// facades of other audit APIs answer as the servers their clients were written against do, for
/// every error, including the refusals of authentication, authorization and rate limiting that
/// happen before the endpoint runs.
/// </summary>
public enum ErrorDialect
{
    /// <summary><c>{"error": "...", "field": "..."}</c>.</summary>
    Argus,

    /// <summary>FastAPI's <c>{"detail": "..."}</c>, with <c>WWW-Authenticate: Bearer</c> on a 401.</summary>
    FastApi,

    /// <summary>A Kubernetes <c>Status</c> object: <c>{"kind": "Status", "apiVersion": "v1", "status": "Failure", "message", "reason", "code"}</c>.</summary>
    Kubernetes,
}

/// <summary>Endpoint metadata naming the endpoint's <see cref="ErrorDialect"/>; absent means <see cref="ErrorDialect.Argus"/>.</summary>
public sealed record ErrorDialectMetadata(ErrorDialect Dialect)
{
    /// <summary>Where each facade lives, for requests under it that no endpoint of it answers (an unknown path or method).</summary>
    private static readonly (PathString Prefix, ErrorDialect Dialect)[] Prefixes =
    [
        (AdminAuditApi.BasePath, ErrorDialect.FastApi),
        (AuditEventsApi.BasePath, ErrorDialect.FastApi),
        (AuditLogListApi.BasePath, ErrorDialect.Kubernetes),
    ];

    /// <summary>
    /// The dialect of the request's endpoint; while an exception is handled, of the endpoint that
    /// threw; without one, of the facade whose path the request is under.
    /// </summary>
    public static ErrorDialect Of(HttpContext context)
    {
        var endpoint = context.GetEndpoint() ?? context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Endpoint;
        if (endpoint?.Metadata.GetMetadata<ErrorDialectMetadata>() is { } metadata)
        {
            return metadata.Dialect;
        }

        foreach (var (prefix, dialect) in Prefixes)
        {
            if (context.Request.Path.StartsWithSegments(prefix))
            {
                return dialect;
            }
        }

        return ErrorDialect.Argus;
    }
}

public static class ErrorDialectExtensions
{
    public static TBuilder WithErrorDialect<TBuilder>(this TBuilder builder, ErrorDialect dialect)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ErrorDialectMetadata(dialect));
}
