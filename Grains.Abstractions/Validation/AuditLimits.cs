namespace Argus.Grains.Abstractions.Validation;

/// <summary>Sizes Argus accepts. Limits keep one caller from filling memory or indexes.</summary>
public static class AuditLimits
{
    /// <summary>actorId and targetId: long enough for e-mail addresses, URNs and paths.</summary>
    public const int MaxIdentifierLength = 512;

    /// <summary>eventType: a short name such as MANAGEMENT_EVENT.</summary>
    public const int MaxEventTypeLength = 128;

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
