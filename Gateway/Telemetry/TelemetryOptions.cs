namespace Argus.Gateway.Telemetry;

/// <summary>
/// Metrics and the Orleans Dashboard (section <c>Argus:Telemetry</c>). Traces, metrics and logs go
/// out over OTLP when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (with
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>grpc</c> by default or <c>http/protobuf</c>).
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "Argus:Telemetry";

    /// <summary>Where Prometheus scrapes the metrics, anonymous like the probes; empty: not served.</summary>
    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>Whether the Orleans Dashboard runs: on every silo and gateway of a cluster, or on none.</summary>
    public bool DashboardEnabled { get; set; }

    /// <summary>Where the dashboard is served, behind the <c>audit:admin</c> scope where credentials are asked for.</summary>
    public string DashboardPath { get; set; } = "/dashboard";

    public IEnumerable<string> Validate()
    {
        if (MetricsPath.Length > 0 && !IsPath(MetricsPath))
        {
            yield return $"{Section}:MetricsPath must start with '/' (or be empty for none).";
        }

        if (!IsPath(DashboardPath) || DashboardPath == "/")
        {
            yield return $"{Section}:DashboardPath must be a path below '/', such as /dashboard.";
        }
    }

    private static bool IsPath(string path) => path.StartsWith('/') && !path.Contains('?') && !path.Contains('#');
}
