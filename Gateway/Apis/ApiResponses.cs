using System.Text.Json;
using Argus.Grains.Abstractions;
using Argus.Grains.Abstractions.Serialization;

namespace Argus.Gateway.Apis;

/// <summary>Writes the API's JSON bodies straight to the response pipe; errors in the endpoint's <see cref="Facades.ErrorDialect"/>.</summary>
internal static class ApiResponses
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public static Task ErrorAsync(HttpContext context, int status, string error, string? field = null, int? retryAfterSeconds = null)
    {
        context.Response.StatusCode = status;
        if (retryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // The facades of other audit APIs answer in their own error shape, whoever refuses the request.
        var dialect = Facades.ErrorDialectMetadata.Of(context);
        if (dialect != Facades.ErrorDialect.Argus)
        {
            return Facades.FacadeResponses.ErrorAsync(context, dialect, status, error, field);
        }

        return context.Response.WriteAsJsonAsync(new ErrorResponse(error, field), ArgusJsonContext.Web.ErrorResponse, JsonContentType, context.RequestAborted);
    }

    /// <summary>A source-generated JSON body (the report types of <see cref="ArgusJsonContext"/>).</summary>
    public static Task JsonAsync<T>(HttpContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return context.Response.WriteAsJsonAsync(value, type, JsonContentType, context.RequestAborted);
    }

    public static async Task EntryAsync(HttpContext context, int status, AuditEntry entry)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = JsonContentType;
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter, ArgusJsonContext.WebWriter))
        {
            AuditEntryJson.Write(writer, entry);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>A page; <c>offset</c> is left out of a cursor page, whose position is its cursor.</summary>
    public static async Task PageAsync(HttpContext context, AuditPage page, bool cursorPage)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = JsonContentType;
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter, ArgusJsonContext.WebWriter))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("logs");
            foreach (var entry in page.Logs)
            {
                AuditEntryJson.Write(writer, entry);
            }

            writer.WriteEndArray();
            if (page.Total is { } total)
            {
                writer.WriteNumber("total", total);
            }

            writer.WriteNumber("limit", page.Limit);
            if (!cursorPage)
            {
                writer.WriteNumber("offset", page.Offset);
            }

            if (page.NextCursor is { } next)
            {
                writer.WriteString("nextCursor", next);
            }

            writer.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
