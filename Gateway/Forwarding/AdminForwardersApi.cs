using System.Text.Json;
using Argus.Gateway.Apis;
using Argus.Gateway.Security;
using Argus.Grains.Abstractions.Serialization;
using Argus.Grains.Forwarding;
using Argus.Grains.Storage;

namespace Argus.Gateway.Forwarding;

/// <summary>
/// The forwarders as operators see them (scope <c>audit:admin</c>, cluster-wide, so not for a
/// tenant-bound credential): each one's settings (never its secret), lag and dead letters;
/// a forwarder's dead letters; and their replay, which posts each again and marks those taken.
/// </summary>
public static class AdminForwardersApi
{
    public const string Path = "/api/admin/forwarders";

    private const string JsonContentType = "application/json; charset=utf-8";

    private const int MaxReplay = 100;

    public static IEndpointRouteBuilder MapAdminForwardersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path).WithTags("Admin").RequireAuthorization(ArgusScopes.Admin);
        group.MapGet("", ListAsync)
            .WithSummary("List the forwarders, their lag and dead letters")
            .Produces<ForwarderListResponse>(StatusCodes.Status200OK);
        group.MapGet("/{name}/dead-letters", DeadLettersAsync)
            .WithSummary("List a forwarder's dead letters (batches its receiver refused), oldest first")
            .WithDescription("after: the last id of the previous page; limit 1..100 (default 20).")
            .Produces<DeadLetterListResponse>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        group.MapPost("/{name}/dead-letters/replay", ReplayAsync)
            .WithSummary("Post a forwarder's dead letters again, oldest first")
            .WithDescription($"At most {MaxReplay} per call; those the receiver takes are marked replayed, the others stay with the new reason.")
            .Produces<ReplayResponse>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task ListAsync(HttpContext context, ForwarderCatalog catalog, ForwarderStore store)
    {
        if (await RefuseTenantAsync(context))
        {
            return;
        }

        var progress = catalog.All.Count == 0 ? [] : await store.ReadProgressAsync([.. catalog.All.Select(f => f.Name)], context.RequestAborted);
        var forwarders = catalog.All.Select(f =>
        {
            var p = progress.GetValueOrDefault(f.Name);
            return new ForwarderResponse(f.Name, Redacted(f.Url), f.BatchSize, f.FilterText, f.FromBeginning ? "beginning" : "now",
                p?.Lag ?? 0, p?.PartitionsBehind ?? 0, p?.LastDeliveredAt, p?.DeadLetters ?? 0);
        }).ToList();
        await WriteAsync(context, new ForwarderListResponse(forwarders), AdminJsonContext.Default.ForwarderListResponse);
    }

    private static async Task DeadLettersAsync(HttpContext context, string name, ForwarderCatalog catalog, ForwarderStore store)
    {
        if (await RefuseTenantAsync(context) || await FindAsync(context, catalog, name) is null)
        {
            return;
        }

        if (!AuditQueryParser.TryParseInteger(context.Request.Query, "limit", 1, 100, out var limit, out var error, also: "after")
            || !long.TryParse(context.Request.Query["after"].ToString() is { Length: > 0 } a ? a : "0", out var after) || after < 0)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest,
                error?.Message ?? "Validation error: 'after' must be the id of a dead letter", error?.Field ?? "after");
            return;
        }

        var letters = await store.ListDeadLettersAsync(name, after, (limit ?? 20) + 1, context.RequestAborted);
        var more = letters.Count > (limit ?? 20);
        var page = letters.Take(limit ?? 20).Select(DeadLetterResponse.Of).ToList();
        await WriteAsync(context, new DeadLetterListResponse(page, more ? page[^1].Id : null), AdminJsonContext.Default.DeadLetterListResponse);
    }

    private static async Task ReplayAsync(HttpContext context, string name, ForwarderCatalog catalog, ForwarderStore store)
    {
        if (await RefuseTenantAsync(context) || await FindAsync(context, catalog, name) is not { } forwarder)
        {
            return;
        }

        var letters = await store.ListDeadLettersAsync(name, 0, MaxReplay + 1, context.RequestAborted);
        var replayed = 0;
        var errors = new List<ReplayError>();
        foreach (var letter in letters.Take(MaxReplay))
        {
            var (outcome, _, reason) = await ForwarderDelivery.PostAsync(catalog.Http, forwarder, letter.Entries, context.RequestAborted);
            if (outcome == DeliveryOutcome.Delivered)
            {
                await store.MarkReplayedAsync(letter.Id, context.RequestAborted);
                replayed++;
            }
            else
            {
                errors.Add(new ReplayError(letter.Id, reason));
            }
        }

        var remaining = (await store.ReadProgressAsync([name], context.RequestAborted))[name].DeadLetters;
        await WriteAsync(context, new ReplayResponse(replayed, errors.Count, remaining, errors), AdminJsonContext.Default.ReplayResponse);
    }

    private static async Task<ForwarderDefinition?> FindAsync(HttpContext context, ForwarderCatalog catalog, string name)
    {
        var forwarder = catalog.Find(name);
        if (forwarder is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, $"no forwarder named '{name}' is configured", "name");
        }

        return forwarder;
    }

    private static async Task<bool> RefuseTenantAsync(HttpContext context)
    {
        if (context.AccessScope().Tenant is null)
        {
            return false;
        }

        await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, "forbidden: forwarders are cluster-wide; a tenant-bound credential cannot manage them");
        return true;
    }

    /// <summary>The URL without credentials it may carry.</summary>
    private static string Redacted(Uri url) => url.UserInfo.Length == 0 ? url.ToString() : new UriBuilder(url) { UserName = "", Password = "" }.Uri.ToString();

    private static Task WriteAsync<T>(HttpContext context, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return context.Response.WriteAsJsonAsync(value, type, JsonContentType, context.RequestAborted);
    }
}

public sealed record ForwarderResponse(
    string Name, string Url, int BatchSize, IReadOnlyDictionary<string, string> Filters, string From,
    long Lag, int PartitionsBehind, DateTimeOffset? LastDeliveredAt, long DeadLetters);

public sealed record ForwarderListResponse(IReadOnlyList<ForwarderResponse> Forwarders);

public sealed record DeadLetterResponse(
    long Id, int Partition, long FirstSeq, long LastSeq, int EntryCount, int? Status, string Error, int Attempts, DateTimeOffset CreatedAt, JsonElement Entries)
{
    public static DeadLetterResponse Of(DeadLetter letter)
    {
        using var entries = JsonDocument.Parse(letter.Entries);
        return new(letter.Id, letter.Partition, letter.FirstSeq, letter.LastSeq, letter.EntryCount, letter.Status, letter.Error, letter.Attempts,
            letter.CreatedAt, entries.RootElement.Clone());
    }
}

public sealed record DeadLetterListResponse(IReadOnlyList<DeadLetterResponse> DeadLetters, long? Next);

public sealed record ReplayError(long Id, string Error);

public sealed record ReplayResponse(int Replayed, int Failed, long Remaining, IReadOnlyList<ReplayError> Errors);
