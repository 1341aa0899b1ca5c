using Argus.Grains.Abstractions;
using Argus.Grains.Telemetry;

namespace Argus.Gateway.Telemetry;

/// <summary>
/// Counts the entries the API refuses, by reason, as <c>argus_entries_rejected_total{reason}</c>. A
/// request refused before its entries are read (a wrong media type, a body over the limit, a rate
/// limit) counts as one.
/// </summary>
internal static class Rejections
{
    /// <summary>The entry (or the request carrying it) breaks the API's rules: a 400 or 415.</summary>
    public const string Invalid = "invalid";

    /// <summary>The body is over the size limit: a 413.</summary>
    public const string TooLarge = "too_large";

    /// <summary>The entry names a tenant the credential may not write for: a 403.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The credential or address is over its rate: a 429.</summary>
    public const string RateLimited = "rate_limited";

    public static void Count(HttpContext context, string reason, int entries = 1) =>
        context.RequestServices.GetRequiredService<ArgusMetrics>().Rejected(reason, entries);

    /// <summary>Counts an append the cluster did not store; false when it stored it (or had it already).</summary>
    public static bool CountOutcome(HttpContext context, AppendStatus status)
    {
        var reason = status switch
        {
            AppendStatus.Conflict => "conflict",
            AppendStatus.Overloaded => "overloaded",
            AppendStatus.Unavailable or AppendStatus.NotOwner => "unavailable",
            AppendStatus.Rejected => "rejected",
            _ => null,
        };
        if (reason is not null)
        {
            Count(context, reason);
        }

        return reason is not null;
    }
}
