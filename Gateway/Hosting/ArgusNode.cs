using Argus.Gateway.Apis;
using Argus.Gateway.CloudEvents;
using Argus.Gateway.Options;
using Argus.Grains.Abstractions.Serialization;
using Argus.Silo.Hosting;
using Argus.Silo.Routing;

namespace Argus.Gateway.Hosting;

/// <summary>
/// A single Argus node: the gateway's public API and a silo in one process, so every grain call
/// is a local method call. This is what <c>Program</c> runs and what the tests start.
/// </summary>
public static class ArgusNode
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder);

        builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section));
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ArgusJsonContext.Default));
        builder.Services.AddArgusSilo(builder.Configuration);
        builder.Services.AddArgusOpenApi();

        var app = builder.Build();
        app.UseExceptionHandler(errors => errors.Run(context => ApiResponses.ErrorAsync(
            context, StatusCodes.Status500InternalServerError, "internal error")));
        app.UseStatusCodePages(context => context.HttpContext.Response.HasStarted
            ? Task.CompletedTask
            : ApiResponses.ErrorAsync(context.HttpContext, context.HttpContext.Response.StatusCode, StatusMessage(context.HttpContext.Response.StatusCode)));
        app.MapAuditLogsApi();
        app.MapOperationsApi();
        app.MapCloudEventsApi();
        app.MapArgusOpenApi();
        app.MapArgusSiloInternals();
        return app;
    }

    private static string StatusMessage(int status) => status switch
    {
        StatusCodes.Status404NotFound => "not found",
        StatusCodes.Status405MethodNotAllowed => "method not allowed",
        _ => $"HTTP {status}",
    };
}
