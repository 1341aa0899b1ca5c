using Argus.Client;
using Argus.Gateway.Apis;
using Argus.Gateway.CloudEvents;
using Argus.Gateway.Facades;
using Argus.Gateway.Forwarding;
using Argus.Gateway.Health;
using Argus.Gateway.Integrity;
using Argus.Gateway.Tail;
using Argus.Gateway.Telemetry;
using Argus.Gateway.Options;
using Argus.Gateway.SelfAudit;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Serialization;
using Argus.Silo.Hosting;
using Microsoft.Extensions.Options;

namespace Argus.Gateway.Hosting;

/// <summary>
/// An Argus process. By default (<c>Argus:Role</c> = <c>Node</c>) a node: the public API and an
/// Orleans silo in one process, so a grain call for a partition it owns is a local call. With
/// <c>Argus:Role</c> = <c>Gateway</c> it holds no audit state: the public API in front of an
/// Orleans client (<see cref="ArgusClusterClient"/>), which sends each entry straight to the silo
/// owning its partition. This is what <c>Program</c> runs and what the tests start.
/// </summary>
public static class ArgusNode
{
    public const string RoleKey = "Argus:Role";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder);

        var role = RoleOf(builder.Configuration);
        var telemetry = TelemetrySetup.Read(builder.Configuration);
        builder.Services.AddSingleton(Forwarding.ForwarderSettings.Read(builder.Configuration));
        builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section));
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ArgusJsonContext.Web);
            json.SerializerOptions.TypeInfoResolverChain.Insert(1, FacadeJsonContext.Web);
            json.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        if (role == NodeRole.Gateway)
        {
            builder.AddArgusClusterClient(configure: null, entriesValidated: true, client => TelemetrySetup.AddDashboard(client, telemetry));
            // The forwarders' admin API reads their progress through the node's small pool (a gateway has no log pool).
            builder.Services.AddSingleton(sp => new Grains.Storage.ForwarderStore(sp.GetRequiredService<AuthSetup.SecurityDataSource>().Value));
            // The same for checkpoints; a gateway signs one on demand with its own key file, when it is given one.
            builder.Services.AddSingleton(sp => new Grains.Integrity.CheckpointStore(sp.GetRequiredService<AuthSetup.SecurityDataSource>().Value));
            builder.Services.AddArgusIntegrity(builder.Configuration);
        }
        else
        {
            builder.AddArgusSilo(silo => TelemetrySetup.AddDashboard(silo, telemetry));
        }

        builder.AddArgusTelemetry(telemetry);

        builder.Services.AddOptions<Tail.TailOptions>().Bind(builder.Configuration.GetSection(Tail.TailOptions.Section));
        builder.Services.AddSingleton<Tail.TailHub>();
        builder.AddArgusAuth();
        builder.AddArgusSelfAudit();
        builder.Services.AddArgusOpenApi();
        builder.Services.AddArgusProbes(role);

        var app = builder.Build();
        app.UseExceptionHandler(errors => errors.Run(context =>
            context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error is ArgusUnavailableException unavailable
                ? ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, unavailable.Message,
                    retryAfterSeconds: context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.RetryAfterSeconds)
                : ApiResponses.ErrorAsync(context, StatusCodes.Status500InternalServerError, "internal error")));
        app.UseStatusCodePages(context => context.HttpContext.Response.HasStarted
            ? Task.CompletedTask
            : ApiResponses.ErrorAsync(context.HttpContext, context.HttpContext.Response.StatusCode, StatusMessage(context.HttpContext.Response.StatusCode)));
        app.UseArgusDocs();
        app.UseAuthentication();
        app.UseArgusRateLimits();
        app.UseAuthorization();
        app.MapAuditLogsApi();
        app.MapAuditReportsApi();
        app.MapTracesApi();
        app.MapTailApi();
        app.MapOperationsApi();
        app.MapArgusProbes();
        app.MapArgusTelemetry(telemetry);
        app.MapCloudEventsApi();
        app.MapAdminKeysApi();
        app.MapAdminForwardersApi();
        app.MapCheckpointsApi();
        app.MapVerifyApi();
        app.MapAdminAuditApi();
        app.MapAuditEventsApi();
        app.MapAuditLogListApi();
        app.MapArgusOpenApi();
        return app;
    }

    /// <summary>The configured role; anything but a known role name stops the process at start.</summary>
    public static NodeRole RoleOf(IConfiguration configuration)
    {
        var value = configuration[RoleKey];
        if (string.IsNullOrEmpty(value))
        {
            return NodeRole.Node;
        }

        return Enum.TryParse<NodeRole>(value, ignoreCase: true, out var role) && Enum.IsDefined(role)
            ? role
            : throw new InvalidOperationException($"{RoleKey} is '{value}': give {string.Join(" or ", Enum.GetNames<NodeRole>())}.");
    }

    private static string StatusMessage(int status) => status switch
    {
        StatusCodes.Status404NotFound => "not found",
        StatusCodes.Status405MethodNotAllowed => "method not allowed",
        _ => $"HTTP {status}",
    };
}
