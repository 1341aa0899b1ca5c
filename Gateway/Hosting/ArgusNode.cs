using Argus.Client;
using Argus.Gateway.Apis;
using Argus.Gateway.CloudEvents;
using Argus.Gateway.Options;
using Argus.Grains.Abstractions.Serialization;
using Argus.Silo.Hosting;
using Argus.Silo.Routing;

namespace Argus.Gateway.Hosting;

/// <summary>
/// An Argus process. By default (<c>Argus:Role</c> = <c>node</c>) a node: the public API and a
/// silo in one process, so a grain call for a partition it owns is a local method call. With
/// <c>Argus:Role</c> = <c>gateway</c> it holds no audit state: the public API in front of
/// <see cref="ArgusClusterClient"/>, which sends each entry straight to its owning silo
/// (discovered from <c>Argus:Cluster:Seeds</c>). This is what <c>Program</c> runs and what the tests start.
/// </summary>
public static class ArgusNode
{
    public const string RoleKey = "Argus:Role";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder);

        var gatewayOnly = string.Equals(builder.Configuration[RoleKey], "gateway", StringComparison.OrdinalIgnoreCase);
        builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section));
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ArgusJsonContext.Default));
        if (gatewayOnly)
        {
            builder.Services.AddArgusClusterClient(builder.Configuration);
        }
        else
        {
            builder.Services.AddArgusSilo(builder.Configuration);
            builder.AddSiloEndpoints();
        }

        builder.Services.AddArgusOpenApi();

        var app = builder.Build();
        app.UseExceptionHandler(errors => errors.Run(context => ApiResponses.ErrorAsync(
            context, StatusCodes.Status500InternalServerError, "internal error")));
        app.UseStatusCodePages(context => context.HttpContext.Response.HasStarted
            ? Task.CompletedTask
            : ApiResponses.ErrorAsync(context.HttpContext, context.HttpContext.Response.StatusCode, StatusMessage(context.HttpContext.Response.StatusCode)));
        app.MapAuditLogsApi();
        app.MapAuditReportsApi();
        app.MapTracesApi();
        app.MapOperationsApi();
        app.MapCloudEventsApi();
        app.MapArgusOpenApi();
        if (!gatewayOnly)
        {
            app.MapArgusSiloInternals();
        }

        return app;
    }

    private static string StatusMessage(int status) => status switch
    {
        StatusCodes.Status404NotFound => "not found",
        StatusCodes.Status405MethodNotAllowed => "method not allowed",
        _ => $"HTTP {status}",
    };
}
