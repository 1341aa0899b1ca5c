using Argus.Grains.Abstractions.Validation;

namespace Argus.Gateway.Options;

/// <summary>Settings of the public HTTP API (section <c>Argus:Gateway</c>).</summary>
public sealed class GatewayOptions
{
    public const string Section = "Argus:Gateway";

    /// <summary>Largest request body accepted; a larger one is answered 413.</summary>
    public int MaxBodyBytes { get; set; } = AuditLimits.DefaultMaxBodyBytes;

    /// <summary>The <c>Retry-After</c> sent with 503 when the node is overloaded or storage is unavailable.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Most CloudEvents in one batch request; a larger batch is refused whole with 400.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>Largest batch request body accepted; a larger one is answered 413.</summary>
    public int MaxBatchBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// The <c>id</c> of the CloudEvents dialect's envelopes (<c>/v1/auditmanager/health</c>, <c>version</c>,
    /// <c>config</c>); a deployment replacing OpenG2P's audit manager can keep <c>openg2p.auditmanager</c>.
    /// </summary>
    public string CloudEventsEnvelopeId { get; set; } = CloudEvents.Envelope.ServiceId;

    /// <summary>How long <c>GET /health</c> waits for Postgres before calling it unreachable.</summary>
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
