namespace Argus.Grains.Abstractions.Validation;

/// <summary>Sizes Argus accepts. Limits keep one caller from filling memory or indexes.</summary>
public static class AuditLimits
{
    /// <summary>actorId and targetId: long enough for e-mail addresses, URNs and paths.</summary>
    public const int MaxIdentifierLength = 512;

    /// <summary>eventType: a short name such as MANAGEMENT_EVENT.</summary>
    public const int MaxEventTypeLength = 128;

    /// <summary>source: the emitting service or system, e.g. a CloudEvent source URI.</summary>
    public const int MaxSourceLength = 256;

    /// <summary>tenantId and requestId: identifiers, never free text.</summary>
    public const int MaxTenantIdLength = 128;

    public const int MaxRequestIdLength = 128;

    /// <summary>userAgent: real agents stay well under this; longer ones are noise or abuse.</summary>
    public const int MaxUserAgentLength = 512;

    /// <summary>httpMethod: standard methods are at most 7 characters; extension methods get some room.</summary>
    public const int MaxHttpMethodLength = 16;

    /// <summary>httpPath: the path and query of a request line, as far as common servers accept one.</summary>
    public const int MaxHttpPathLength = 2048;

    /// <summary>httpStatus: the range of HTTP status codes (RFC 9110 section 15).</summary>
    public const int MinHttpStatus = 100;

    public const int MaxHttpStatus = 599;

    /// <summary>resourceType: a kind name such as Approval, like eventType.</summary>
    public const int MaxResourceTypeLength = 128;

    /// <summary>partnerId, role, eventGroup, correlationId: identifiers and short names, like tenantId.</summary>
    public const int MaxPartnerIdLength = 128;

    public const int MaxRoleLength = 128;

    public const int MaxEventGroupLength = 128;

    public const int MaxCorrelationIdLength = 128;

    /// <summary>actorEmail: the longest address SMTP can carry (RFC 5321: a 256-octet path less its brackets).</summary>
    public const int MaxActorEmailLength = 254;

    /// <summary>namespace: the longest DNS name (Kubernetes namespaces are at most 63), with room for other schemes.</summary>
    public const int MaxNamespaceLength = 253;

    /// <summary>sessionId, vmId, workerId: opaque ids, some of them long (signed session tokens, cloud resource paths).</summary>
    public const int MaxSessionIdLength = 256;

    public const int MaxVmIdLength = 256;

    public const int MaxWorkerIdLength = 256;

    /// <summary>errorMessage: a message and some of its detail; a stack trace belongs in responseMetadata.</summary>
    public const int MaxErrorMessageLength = 4096;

    /// <summary>Default bound on one request body; configurable on the gateway.</summary>
    public const int DefaultMaxBodyBytes = 64 * 1024;

    /// <summary>Bound on an Idempotency-Key header value.</summary>
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>Bounds of a page.</summary>
    public const int DefaultLimit = 100;

    public const int MaxLimit = 1000;

    /// <summary>Bound on a <c>cursor</c> query parameter: the ones Argus issues are 66 characters.</summary>
    public const int MaxCursorLength = 256;
}
