using System.Net;

namespace Argus.Client;

/// <summary>Argus refused a request, or could not be reached after every attempt.</summary>
public sealed class ArgusClientException(string message, HttpStatusCode? status = null, string? field = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The HTTP status Argus answered with; null when it could not be reached.</summary>
    public HttpStatusCode? StatusCode { get; } = status;

    /// <summary>The offending field, when Argus named one.</summary>
    public string? Field { get; } = field;
}
