namespace Argus.Grains.Abstractions;

/// <summary>
/// The grain of one trace (keyed by trace id, or by the entry id of a standalone entry). It
/// collects its trace's entries and hands them to its partition's stream; an append completes
/// only once the entry is committed.
/// </summary>
public interface ITraceGrain
{
    Guid Key { get; }

    ValueTask<AppendResult> AppendAsync(AuditEntry entry, CancellationToken cancellationToken);
}
