namespace Argus.Grains.Abstractions;

/// <summary>What happened to one appended entry.</summary>
public enum AppendStatus
{
    /// <summary>Committed to Postgres: the acknowledgement is durable.</summary>
    Stored,

    /// <summary>An entry with this id was stored before and is the same event: the original is returned.</summary>
    Replayed,

    /// <summary>An entry with this id was stored before and differs: an idempotency key was reused for another event.</summary>
    Conflict,

    /// <summary>Ingest buffers are full; the caller should retry after a pause. Nothing was stored.</summary>
    Overloaded,

    /// <summary>Storage could not commit in time. The entry may or may not be stored; retrying with the same id is safe.</summary>
    Unavailable,

    /// <summary>This silo does not own the entry's partition; the caller should refresh its partition map and retry.</summary>
    NotOwner,

    /// <summary>Storage refused the entry's content.</summary>
    Rejected,
}

/// <summary>The outcome of an append: the stored (or original) entry on success, else an explanation.</summary>
[GenerateSerializer, Immutable]
public readonly record struct AppendResult(AppendStatus Status, AuditEntry? Entry = null, string? Error = null)
{
    public bool IsSuccess => Status is AppendStatus.Stored or AppendStatus.Replayed;

    public static AppendResult Stored(AuditEntry entry) => new(AppendStatus.Stored, entry);

    public static AppendResult Replayed(AuditEntry original) => new(AppendStatus.Replayed, original);

    public static AppendResult Failed(AppendStatus status, string error) => new(status, null, error);
}
