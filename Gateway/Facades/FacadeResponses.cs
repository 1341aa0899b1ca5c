using System.Text.Json.Serialization.Metadata;
using Microsoft.Net.Http.Headers;

namespace Argus.Gateway.Facades;

/// <summary>The facades' responses: their bodies, and every error in the endpoint's <see cref="ErrorDialect"/>.</summary>
internal static class FacadeResponses
{
    private const string JsonContentType = "application/json";

    public static Task JsonAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return context.Response.WriteAsJsonAsync(value, type, JsonContentType, context.RequestAborted);
    }

    /// <summary>
    /// An error of a facade endpoint. FastAPI answers <c>{"detail": message}</c> (and a 401 with
    /// <c>WWW-Authenticate: Bearer</c>, as its security schemes do); Kubernetes a Status whose reason
    /// is the code's name, with the field, when one is known, as its cause.
    /// </summary>
    public static Task ErrorAsync(HttpContext context, ErrorDialect dialect, int status, string message, string? field)
    {
        context.Response.StatusCode = status;
        if (dialect == ErrorDialect.FastApi)
        {
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
            }

            return context.Response.WriteAsJsonAsync(new FastApiDetail(message), FacadeJsonContext.Web.FastApiDetail, JsonContentType, context.RequestAborted);
        }

        var details = field is null ? null : new KubernetesStatusDetails([new KubernetesStatusCause("FieldValueInvalid", message, field)]);
        return WriteStatusAsync(context, new KubernetesStatus(message, Reason(status), status, details));
    }

    /// <summary>404 for a resource that is not there (or is not the caller's to see), in the words of the dialect.</summary>
    public static Task NotFoundAsync(HttpContext context, string? kubernetesMessage = null) =>
        ErrorDialectMetadata.Of(context) == ErrorDialect.Kubernetes
            ? ErrorAsync(context, ErrorDialect.Kubernetes, StatusCodes.Status404NotFound, kubernetesMessage ?? "not found", null)
            : ErrorAsync(context, ErrorDialect.FastApi, StatusCodes.Status404NotFound, "Not Found", null);

    /// <summary>
    /// Every refused parameter at once: FastAPI's 422 <c>HTTPValidationError</c>, or a Kubernetes
    /// 400 Status with one cause per parameter.
    /// </summary>
    public static Task ProblemsAsync(HttpContext context, IReadOnlyList<ParameterProblem> problems)
    {
        if (ErrorDialectMetadata.Of(context) == ErrorDialect.Kubernetes)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            var causes = problems.Select(p => new KubernetesStatusCause("FieldValueInvalid", p.Message, p.Name)).ToList();
            var message = "invalid query parameters: " + string.Join("; ", problems.Select(p => $"{p.Name}: {p.Message}"));
            return WriteStatusAsync(context, new KubernetesStatus(message, "BadRequest", StatusCodes.Status400BadRequest, new KubernetesStatusDetails(causes)));
        }

        context.Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        var issues = problems.Select(p => new FastApiValidationIssue(p.Type, [p.Location, p.Name], p.Message, p.Input)).ToList();
        return context.Response.WriteAsJsonAsync(new FastApiValidationError(issues), FacadeJsonContext.Web.FastApiValidationError, JsonContentType, context.RequestAborted);
    }

    private static Task WriteStatusAsync(HttpContext context, KubernetesStatus status) =>
        context.Response.WriteAsJsonAsync(status, FacadeJsonContext.Web.KubernetesStatus, JsonContentType, context.RequestAborted);

    /// <summary>Kubernetes' <c>StatusReason</c> for a code.</summary>
    private static string Reason(int status) => status switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    };
}
