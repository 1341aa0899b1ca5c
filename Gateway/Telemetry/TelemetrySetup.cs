using Argus.Client.Hosting;
using Argus.Gateway.Hosting;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions;
using Argus.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;

namespace Argus.Gateway.Telemetry;

/// <summary>
/// Traces, metrics and logs on OpenTelemetry. Metrics are always kept (Argus's, the runtime's,
/// ASP.NET Core's, Orleans', Npgsql's) and served to Prometheus at <see cref="TelemetryOptions.MetricsPath"/>.
/// When <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, traces (ASP.NET Core, HttpClient, Npgsql,
/// Orleans' grain calls and Argus's commits), metrics and logs also go out over OTLP, as service
/// <c>argus</c>. Log records carry the trace and span ids of the request they belong to.
/// </summary>
public static class TelemetrySetup
{
    public const string ServiceName = "argus";

    private static readonly string[] OtlpEndpointKeys =
        ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"];

    /// <summary>The settings, read before the host is built (the dashboard is part of the silo's or client's configuration).</summary>
    public static TelemetryOptions Read(IConfiguration configuration) =>
        ValidatedOptions.Read<TelemetryOptions>(configuration.GetSection(TelemetryOptions.Section), o => o.Validate());

    /// <summary>True when an OTLP endpoint is configured: only then are spans made and anything exported.</summary>
    public static bool ExportsOtlp(IConfiguration configuration) => OtlpEndpointKeys.Any(key => !string.IsNullOrWhiteSpace(configuration[key]));

    public static WebApplicationBuilder AddArgusTelemetry(this WebApplicationBuilder builder, TelemetryOptions settings)
    {
        var configuration = builder.Configuration;
        builder.Services.AddValidatedOptions<TelemetryOptions>(configuration.GetSection(TelemetryOptions.Section), o => o.Validate());
        builder.Services.AddMetrics();
        builder.Services.TryAddSingleton<ArgusMetrics>();
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        // The standard setting picks the console's format (json: one object per line, with the trace and span ids);
        // the slim host sets the simple format after the settings are read, so it is applied again last.
        if (configuration["Logging:Console:FormatterName"] is { Length: > 0 } format)
        {
            builder.Services.PostConfigure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.FormatterName = format);
        }

        // Each read the API makes is timed by shape, and each append the cluster refuses counted.
        DecorateCluster(builder.Services);

        var otlp = ExportsOtlp(configuration);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                ServiceName,
                serviceVersion: BuildInfo.Version,
                serviceInstanceId: InstanceId(configuration)))
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(ArgusMetrics.MeterName, "Microsoft.Orleans", "System.Runtime", "Npgsql")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation();
                if (settings.MetricsPath.Length > 0)
                {
                    metrics.AddPrometheusExporter();
                }
            });
        if (otlp)
        {
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource(ArgusTracing.SourceName, Orleans.Diagnostics.ActivitySources.ApplicationGrainActivitySourceName, Orleans.Diagnostics.ActivitySources.RuntimeActivitySourceName)
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsOperational(context.Request.Path, settings))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql())
                .WithLogging(logging => { }, o =>
                {
                    o.IncludeFormattedMessage = true;
                    o.IncludeScopes = true;
                })
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>The Orleans Dashboard on a silo, when enabled.</summary>
    public static void AddDashboard(ISiloBuilder silo, TelemetryOptions settings)
    {
        if (settings.DashboardEnabled)
        {
            silo.AddDashboard();
        }
    }

    /// <summary>The Orleans Dashboard on a gateway (an Orleans client), when enabled: every silo must run it too.</summary>
    public static void AddDashboard(IClientBuilder client, TelemetryOptions settings)
    {
        if (settings.DashboardEnabled)
        {
            client.AddDashboard();
        }
    }

    public static WebApplication MapArgusTelemetry(this WebApplication app, TelemetryOptions settings)
    {
        if (settings.MetricsPath.Length > 0)
        {
            app.MapPrometheusScrapingEndpoint(settings.MetricsPath).AllowAnonymous();
        }

        if (settings.DashboardEnabled)
        {
            app.MapOrleansDashboard(settings.DashboardPath).RequireAuthorization(ArgusScopes.Admin).WithMetadata(new BrowserCredentials())
                .ExcludeFromDescription();
        }

        return app;
    }

    /// <summary>The silo's name: the configured one, the pod's in Kubernetes, else the default (host and process).</summary>
    private static string InstanceId(IConfiguration configuration) =>
        configuration[$"{Silo.Options.SiloOptions.Section}:Name"]
        ?? (configuration.GetValue<bool>($"{Silo.Options.SiloOptions.Section}:Kubernetes") ? configuration[Silo.Hosting.KubernetesHosting.PodName] : null)
        ?? new Silo.Options.SiloOptions().Name;

    /// <summary>Probes and scrapes repeat every few seconds and say nothing about requests: they make no spans.</summary>
    private static bool IsOperational(PathString path, TelemetryOptions settings) =>
        path.StartsWithSegments("/health") || (settings.MetricsPath.Length > 0 && path.StartsWithSegments(settings.MetricsPath));

    private static void DecorateCluster(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IArgusCluster))
            ?? throw new InvalidOperationException("The cluster must be registered before telemetry.");
        var factory = registered.ImplementationFactory ?? throw new InvalidOperationException("The cluster is registered by a factory.");
        services.Remove(registered);
        services.AddSingleton<IArgusCluster>(sp => new MeteredCluster((IArgusCluster)factory(sp), sp.GetRequiredService<ArgusMetrics>()));
    }
}
