namespace Argus.Client;

/// <summary>Where Argus is and how persistently to retry (section <c>Argus:Client</c>).</summary>
public sealed class ArgusClientOptions
{
    public const string Section = "Argus:Client";

    /// <summary>The Argus HTTP endpoint, e.g. <c>http://argus-service:3001</c>.</summary>
    public Uri BaseAddress { get; set; } = new("http://127.0.0.1:3001");

    /// <summary>Attempts per append for 503s and connection failures (each retry reuses the request's idempotency key).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Upper bound on the wait between attempts when the server sends no Retry-After.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The API key sent with every request (<c>X-API-Key</c>); none when Argus runs without credentials.</summary>
    public string? ApiKey { get; set; }
}
