using System.Globalization;
using System.Text.Json.Nodes;
using Argus.Gateway.CloudEvents;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Reports;
using Argus.Grains.Abstractions.Validation;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Argus.Gateway.Hosting;

/// <summary>
/// The OpenAPI 3.1 document, generated from the mapped endpoints and their declared responses,
/// served at <c>/openapi.json</c> and <c>/v1/auditmanager/openapi.json</c>, with Swagger UI at
/// <c>/docs</c> and <c>/v1/auditmanager/docs</c>. Audit entries are read and written by hand
/// (not by reflection), so their schema is described here.
/// </summary>
public static class ArgusOpenApi
{
    public static IServiceCollection AddArgusOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Argus",
                    Version = BuildInfo.Version,
                    Description = "Distributed audit log: record who did what to which target, with what outcome, tied to a trace. "
                        + "Writes are acknowledged after they are committed. Errors are {\"error\": \"...\", \"field\": \"...\"}.",
                };
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Type == typeof(AuditEntry))
                {
                    Describe(schema, stored: true);
                }
                else if (context.JsonTypeInfo.Type == typeof(AuditStatus))
                {
                    // Written by its wire name (AuditStatusJsonConverter), not as the enum's number.
                    var status = Enum("Outcome", WireNames.Statuses);
                    (schema.Type, schema.Enum, schema.Format, schema.Description) = (status.Type, status.Enum, null, status.Description);
                }
                else if (context.JsonTypeInfo.Type == typeof(AuditStats))
                {
                    // Omitted when the range is open on that side.
                    schema.Required?.Remove("since");
                    schema.Required?.Remove("until");
                    schema.Required?.Remove("tenantId");
                }

                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var route = context.Description.RelativePath?.TrimEnd('/');
                var method = context.Description.HttpMethod;
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<Facades.DocumentedQuery>().FirstOrDefault() is { } documented)
                {
                    // A facade reads its query string by hand, in its own names: declare them as it does.
                    operation.Parameters = [.. (operation.Parameters ?? []).Where(p => p.In != ParameterLocation.Query), .. documented.Parameters.Select(FacadeParameter)];
                }
                else if (method == "POST" && route == "api/audit-logs")
                {
                    operation.RequestBody = Body("application/json", Describe(new OpenApiSchema(), stored: false));
                    operation.Parameters =
                    [
                        Header("Idempotency-Key", "1 to 255 visible ASCII characters. A repeat with the same key stores nothing and answers the original entry (Idempotent-Replayed: true)."),
                        TraceParentHeader(),
                    ];
                }
                else if (method == "GET" && route == "api/audit-logs")
                {
                    operation.Parameters = QueryParameters();
                }
                else if (method == "GET" && route == "api/audit-logs/stats")
                {
                    string[] counted = ["since", "until", "startTime", "endTime", "tenantId"];
                    operation.Parameters = QueryParameters().Where(p => counted.Contains(p.Name)).ToList();
                }
                else if (method == "GET" && route == Integrity.CheckpointsApi.Path.TrimStart('/'))
                {
                    operation.Parameters = CheckpointParameters();
                }
                else if (method == "POST" && route == "v1/auditmanager/events")
                {
                    operation.RequestBody = Body("application/cloudevents+json", CloudEventSchema());
                    operation.Parameters = [TraceParentHeader()];
                    operation.Description = "Structured mode (application/cloudevents+json or application/json) or binary mode (ce-* headers, "
                        + "any body). 202 once committed; idempotent on (id, time).";
                }
                else if (method == "POST" && route == "v1/auditmanager/events/batch")
                {
                    operation.RequestBody = Body("application/cloudevents-batch+json",
                        new OpenApiSchema { Type = JsonSchemaType.Array, Items = CloudEventSchema() });
                    operation.Description = "A JSON array of CloudEvents, or {\"events\": [...]}. Not atomic: the response counts the accepted events "
                        + "and lists each refused one with its index and reason.";
                }

                return Task.CompletedTask;
            });
        });

    public static WebApplication MapArgusOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi.json").AllowAnonymous();
        app.MapOpenApi(CloudEventsApi.BasePath + "/openapi.json").AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Swagger UI: static pages, not endpoints, so no endpoint's AllowAnonymous reaches them. Served
    /// ahead of authentication (the fallback policy would otherwise ask them for a credential) and
    /// of rate limits, as the documents they show are.
    /// </summary>
    public static WebApplication UseArgusDocs(this WebApplication app)
    {
        foreach (var prefix in new[] { "docs", CloudEventsApi.BasePath.TrimStart('/') + "/docs" })
        {
            app.UseSwaggerUI(ui =>
            {
                ui.RoutePrefix = prefix;
                ui.DocumentTitle = "Argus API";
                ui.SwaggerEndpoint("/openapi.json", "Argus");
            });
        }

        // The CloudEvents dialect's own reference page, where its users look for it.
        app.UseReDoc(redoc =>
        {
            redoc.RoutePrefix = CloudEventsApi.BasePath.TrimStart('/') + "/redoc";
            redoc.DocumentTitle = "Argus audit manager (CloudEvents)";
            redoc.SpecUrl = CloudEventsApi.BasePath + "/openapi.json";
        });
        return app;
    }

    private static OpenApiParameter Header(string name, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = false,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    private static OpenApiParameter TraceParentHeader() => Header("traceparent",
        "W3C Trace Context, e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01: its trace-id becomes the entry's traceId when the body names none.");

    private static OpenApiRequestBody Body(string contentType, IOpenApiSchema schema) => new()
    {
        Required = true,
        Content = new Dictionary<string, OpenApiMediaType> { [contentType] = new() { Schema = schema } },
    };

    private static OpenApiSchema Describe(OpenApiSchema schema, bool stored)
    {
        schema.Type = JsonSchemaType.Object;
        schema.Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["traceId"] = Text("Trace of the action (UUID); else taken from the traceparent header", "uuid"),
            ["timestamp"] = Text("When the action happened (RFC 3339); stored in UTC at microsecond precision", "date-time"),
            ["eventType"] = Text($"Custom event type, e.g. MANAGEMENT_EVENT (at most {AuditLimits.MaxEventTypeLength} characters)"),
            ["eventAction"] = Enum("The kind of action", WireNames.EventActions),
            ["status"] = Enum("Outcome", WireNames.Statuses),
            ["actorType"] = Enum("Who acted", WireNames.ActorTypes),
            ["actorId"] = Text($"Actor identifier (at most {AuditLimits.MaxIdentifierLength} characters)"),
            ["targetType"] = Enum("What was acted on", WireNames.TargetTypes),
            ["targetId"] = Text($"Target identifier (at most {AuditLimits.MaxIdentifierLength} characters)"),
            ["requestMetadata"] = new OpenApiSchema { Type = JsonSchemaType.Object, Description = "Request context (no PII)" },
            ["responseMetadata"] = new OpenApiSchema { Type = JsonSchemaType.Object, Description = "Decision, result or error details" },
            ["additionalMetadata"] = new OpenApiSchema { Type = JsonSchemaType.Object, Description = "Any other context" },
            ["source"] = Text($"The service or system that emitted the entry (at most {AuditLimits.MaxSourceLength} characters)"),
            ["tenantId"] = Text($"Tenant the action belongs to (at most {AuditLimits.MaxTenantIdLength} characters)"),
            ["requestId"] = Text($"Id of the request behind the action (at most {AuditLimits.MaxRequestIdLength} characters)"),
            ["ipAddress"] = Text("Client address, IPv4 or IPv6 without prefix; returned in canonical form"),
            ["userAgent"] = Text($"Client user agent (at most {AuditLimits.MaxUserAgentLength} characters)"),
            ["httpMethod"] = Text($"HTTP method, an HTTP token of at most {AuditLimits.MaxHttpMethodLength} characters; stored upper-case"),
            ["httpPath"] = Text($"Request path starting with '/' (at most {AuditLimits.MaxHttpPathLength} characters)"),
            ["httpStatus"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Integer,
                Description = "HTTP status of the response",
                Minimum = AuditLimits.MinHttpStatus.ToString(CultureInfo.InvariantCulture),
                Maximum = AuditLimits.MaxHttpStatus.ToString(CultureInfo.InvariantCulture),
            },
            ["latencyMs"] = new OpenApiSchema { Type = JsonSchemaType.Number, Description = "Request duration in milliseconds", Minimum = "0" },
            ["resourceType"] = Text($"Kind of resource acted on, e.g. Approval (at most {AuditLimits.MaxResourceTypeLength} characters)"),
            ["partnerId"] = Text($"Partner the tenant belongs to (at most {AuditLimits.MaxPartnerIdLength} characters)"),
            ["actorEmail"] = Text($"Actor's e-mail address (at most {AuditLimits.MaxActorEmailLength} characters)"),
            ["role"] = Text($"Role the actor acted in (at most {AuditLimits.MaxRoleLength} characters)"),
            ["namespace"] = Text($"Namespace or environment of the action (at most {AuditLimits.MaxNamespaceLength} characters)"),
            ["eventGroup"] = Text($"Group of event types (at most {AuditLimits.MaxEventGroupLength} characters)"),
            ["sessionId"] = Text($"Session of the actor (at most {AuditLimits.MaxSessionIdLength} characters)"),
            ["correlationId"] = Text($"Ties entries of one operation together (at most {AuditLimits.MaxCorrelationIdLength} characters)"),
            ["userId"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "Numeric user id" },
            ["vmId"] = Text($"Virtual machine involved (at most {AuditLimits.MaxVmIdLength} characters)"),
            ["taskId"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "Numeric task id" },
            ["nodeIp"] = Text("Address of the node that handled the action, IPv4 or IPv6 without prefix; returned in canonical form"),
            ["workerId"] = Text($"Worker that handled the action (at most {AuditLimits.MaxWorkerIdLength} characters)"),
            ["errorMessage"] = Text($"What went wrong (at most {AuditLimits.MaxErrorMessageLength} characters)"),
        };
        schema.Required = new HashSet<string> { "timestamp", "status", "actorType", "actorId", "targetType" };
        if (stored)
        {
            schema.Properties["id"] = Text("Set by Argus (UUIDv7, or derived from the Idempotency-Key)", "uuid");
            schema.Properties["createdAt"] = Text("When Argus stored the entry", "date-time");
            schema.Required.Add("id");
            schema.Required.Add("createdAt");
        }

        return schema;
    }

    /// <summary>The filters and page bounds of <c>GET /api/audit-logs</c> (read by hand, so described here).</summary>
    private static OpenApiParameter FacadeParameter(Facades.DocumentedParameter parameter) => new()
    {
        Name = parameter.Name,
        In = ParameterLocation.Query,
        Required = false,
        Description = parameter.Description,
        Schema = new OpenApiSchema
        {
            Type = parameter.Type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String,
            Format = parameter.Format,
            Default = parameter.Default is { } value ? JsonValue.Create(value) : null,
            Minimum = parameter.Minimum?.ToString(CultureInfo.InvariantCulture),
            Maximum = parameter.Maximum?.ToString(CultureInfo.InvariantCulture),
        },
    };

    /// <summary>The page bounds of <c>GET /api/integrity/checkpoints</c> (read by hand, so described here).</summary>
    private static List<IOpenApiParameter> CheckpointParameters() =>
    [
        new OpenApiParameter
        {
            Name = "kind", In = ParameterLocation.Query, Description = "Checkpoints of this kind only (both kinds when absent)",
            Schema = Enum("heads: every partition's head; retention: the entries a dropped month held", ["heads", "retention"]),
        },
        new OpenApiParameter
        {
            Name = "limit", In = ParameterLocation.Query, Description = "Checkpoints per page",
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Integer, Minimum = "1", Maximum = Integrity.CheckpointsApi.MaxLimit.ToString(CultureInfo.InvariantCulture),
                Default = JsonValue.Create(Integrity.CheckpointsApi.DefaultLimit),
            },
        },
        new OpenApiParameter
        {
            Name = "before", In = ParameterLocation.Query, Description = "Checkpoints with a lower id only: the previous page's 'next'",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1" },
        },
    ];

    private static List<IOpenApiParameter> QueryParameters()
    {
        static OpenApiParameter Query(string name, string description, IOpenApiSchema schema) =>
            new() { Name = name, In = ParameterLocation.Query, Description = description, Schema = schema };

        return
        [
            Query("traceId", "Entries of this trace", Text("UUID", "uuid")),
            Query("eventType", "Exact event type", Text($"At most {AuditLimits.MaxEventTypeLength} characters")),
            Query("eventAction", "Exact action", Enum("The kind of action", WireNames.EventActions)),
            Query("status", "Exact outcome", Enum("Outcome", WireNames.Statuses)),
            Query("actorType", "Exact actor type", Enum("Who acted", WireNames.ActorTypes)),
            Query("actorId", "Exact actor", Text($"At most {AuditLimits.MaxIdentifierLength} characters")),
            Query("targetType", "Exact target type", Enum("What was acted on", WireNames.TargetTypes)),
            Query("targetId", "Exact target", Text($"At most {AuditLimits.MaxIdentifierLength} characters")),
            Query("source", "Exact emitting service or system", Text($"At most {AuditLimits.MaxSourceLength} characters")),
            Query("tenantId", "Exact tenant", Text($"At most {AuditLimits.MaxTenantIdLength} characters")),
            Query("requestId", "Exact request id", Text($"At most {AuditLimits.MaxRequestIdLength} characters")),
            Query("ipAddress", "Client address; any spelling of the same IPv6 address matches", Text("IPv4 or IPv6 address")),
            Query("httpMethod", "HTTP method, compared upper-case", Text("HTTP method token")),
            Query("httpPath", "Exact request path", Text($"At most {AuditLimits.MaxHttpPathLength} characters")),
            Query("httpStatus", "Exact HTTP status", new OpenApiSchema
            {
                Type = JsonSchemaType.Integer,
                Minimum = AuditLimits.MinHttpStatus.ToString(CultureInfo.InvariantCulture),
                Maximum = AuditLimits.MaxHttpStatus.ToString(CultureInfo.InvariantCulture),
            }),
            Query("partnerId", "Exact partner (every tenant of it)", Text($"At most {AuditLimits.MaxPartnerIdLength} characters")),
            Query("actorEmail", "Exact actor e-mail address", Text($"At most {AuditLimits.MaxActorEmailLength} characters")),
            Query("resourceType", "Exact resource type", Text($"At most {AuditLimits.MaxResourceTypeLength} characters")),
            Query("since", "Inclusive lower bound on timestamp (alias startTime)", Text("RFC 3339", "date-time")),
            Query("until", "Exclusive upper bound on timestamp (alias endTime)", Text("RFC 3339", "date-time")),
            Query("startTime", "Alias of since", Text("RFC 3339", "date-time")),
            Query("endTime", "Alias of until", Text("RFC 3339", "date-time")),
            Query("limit", "Page size", new OpenApiSchema
            {
                Type = JsonSchemaType.Integer,
                Minimum = "1",
                Maximum = AuditLimits.MaxLimit.ToString(CultureInfo.InvariantCulture),
                Default = JsonValue.Create(AuditLimits.DefaultLimit),
            }),
            Query("offset", "Entries to skip", new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0", Default = JsonValue.Create(0) }),
            Query("cursor", "The nextCursor of the previous page (same filters, no offset): the page right after it",
                Text($"Opaque, at most {AuditLimits.MaxCursorLength} characters")),
            Query("includeTotal", "Count every match (default: on offset pages, not on cursor pages)",
                new OpenApiSchema { Type = JsonSchemaType.Boolean }),
        ];
    }

    private static OpenApiSchema CloudEventSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "A CloudEvent 1.0. Extensions status, actortype, actorid, targettype, eventaction and traceparent are understood; "
            + "resourcetype, partnerid, actoremail, role, namespace, eventgroup, sessionid, correlationid, userid, vmid, taskid, nodeip, "
            + "workerid and errormessage set the entry field of the same name.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["specversion"] = Text("Always 1.0 (the default)"),
            ["id"] = Text("Event id; with time, the idempotency key"),
            ["source"] = Text($"Producer; becomes source (at most {AuditLimits.MaxSourceLength} characters) and actorId"),
            ["type"] = Text("Event type; becomes eventType"),
            ["subject"] = Text("Becomes targetId"),
            ["time"] = Text("Becomes timestamp (receipt time when absent)", "date-time"),
            ["datacontenttype"] = Text("Media type of data (default application/json)"),
            ["traceparent"] = Text("W3C traceparent; its trace-id becomes traceId"),
            ["data"] = new OpenApiSchema { Description = "Becomes additionalMetadata (wrapped as {\"data\": ...} when not an object)" },
        },
        Required = new HashSet<string> { "source", "type" },
    };

    private static OpenApiSchema Text(string description, string? format = null) =>
        new() { Type = JsonSchemaType.String, Description = description, Format = format };

    private static OpenApiSchema Enum(string description, string[] names) => new()
    {
        Type = JsonSchemaType.String,
        Description = description,
        Enum = names.Select(n => (JsonNode)JsonValue.Create(n)!).ToList(),
    };
}
