namespace Argus.Grains.Abstractions.Validation;

/// <summary>Bounds on what one report may return, so no trace or vocabulary can make a response unbounded.</summary>
public static class ReportLimits
{
    /// <summary>Entries of a trace timeline returned by default; the summary always covers the whole trace.</summary>
    public const int DefaultTraceLimit = 1000;

    public const int MaxTraceLimit = 10_000;

    /// <summary>Distinct actors a trace summary names (it always gives their exact count).</summary>
    public const int MaxTraceActors = 100;

    /// <summary>Distinct event types a vocabulary or a breakdown lists; beyond it the answer says it is truncated.</summary>
    public const int MaxEventTypes = 10_000;
}
